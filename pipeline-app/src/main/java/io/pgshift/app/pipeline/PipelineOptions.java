package io.pgshift.app.pipeline;

/**
 * Which steps of a migration a pipeline runs; each can be skipped ({@code pgshift migrate --skip-...}).
 *
 * @param preData   apply the schema's pre-data section before the load
 * @param load      load a consistent snapshot of the tables' rows; without it only changes from now on are captured
 * @param postData  apply the schema's post-data section once the load is applied, before changes are applied
 * @param streaming capture the changes; without it a bulk load never starts Debezium, so the replication slot stays at the load's
 *                  consistent point for whoever streams next (pgshift again, or the Debezium connector on Kafka Connect)
 */
public record PipelineOptions(boolean preData, boolean load, boolean postData, boolean streaming) {

    public static PipelineOptions all() {
        return new PipelineOptions(true, true, true, true);
    }
}
