package io.pgshift.source;

import java.util.Arrays;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.connect.data.SchemaBuilder;

import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.DebeziumTypes;

/**
 * Debezium custom converter (the connector's {@code converters} setting) for the columns whose type Debezium does not carry
 * exactly ({@link DebeziumTypes}): instead of Debezium's lossy conversion, which for some types drops the column from the
 * record ("No converter found") or logs a failure and sends nothing, the record says the value must be read from the source
 * (schema {@link DebeziumTypes#FROM_SOURCE_SCHEMA}; the applier reads it by key). NULL stays NULL and an unchanged TOASTed
 * value stays unchanged, so neither costs a read.
 * <p>
 * Configuration: {@code <name>.native.types}, the native type OIDs (Debezium's {@code nativeType}: the type after domains) of
 * the columns to convert, comma-separated ({@code Catalog.inexactNativeTypes}).
 */
public final class FromSourceConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {

    static final String NATIVE_TYPES = "native.types";

    private Set<Integer> nativeTypes = Set.of();

    @Override
    public void configure(Properties props) {
        String oids = props.getProperty(NATIVE_TYPES, "").trim();
        nativeTypes = oids.isEmpty() ? Set.of()
                : Arrays.stream(oids.split(",")).map(String::trim).map(Integer::valueOf).collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        if (!nativeTypes.contains(column.nativeType())) {
            return;
        }
        registration.register(SchemaBuilder.string().optional().name(DebeziumTypes.FROM_SOURCE_SCHEMA), value -> {
            if (value == null) {
                return null;
            }
            if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(value)) {
                return ChangeEvent.UNCHANGED_TOAST_PLACEHOLDER;
            }
            return "";
        });
    }
}
