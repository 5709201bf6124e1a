#!/bin/sh
# Fills the Kafka Connect plugin directory /plugins (a volume) for pgshift on Kafka Connect, once:
#   /plugins/debezium-connector-postgres/          Debezium's PostgreSQL connector plugin (Maven Central), and in it
#   /plugins/debezium-connector-postgres/pgshift-debezium-addon/   pgshift's custom converter (FromSourceConverter), which
#                                                  Debezium loads with its own plugin class loader
#   /plugins/pgshift-sink-connector/               pgshift's sink connector plugin
#   /plugins/apicurio-avro-converter/              Apicurio's Avro converter (Confluent wire format), for kafka.format avro
# The pgshift archives come from the repository's build (mvn -B -DskipTests package), mounted read-only at /pgshift.
set -eu
[ -f /plugins/.ready ] && exit 0
repo=https://repo1.maven.org/maven2
wget -q -O /tmp/debezium.tar.gz \
  "$repo/io/debezium/debezium-connector-postgres/$DEBEZIUM_VERSION/debezium-connector-postgres-$DEBEZIUM_VERSION-plugin.tar.gz"
tar -xzf /tmp/debezium.tar.gz -C /plugins
unzip -q -o /pgshift/connectors/source/target/pgshift-source-*-debezium-addon.zip -d /plugins/debezium-connector-postgres
unzip -q -o /pgshift/connectors/sink/target/pgshift-sink-*-connect-plugin.zip -d /plugins
unzip -q -o /pgshift/pipeline-app/target/pgshift-avro-converter-plugin.zip -d /plugins
touch /plugins/.ready
ls /plugins
