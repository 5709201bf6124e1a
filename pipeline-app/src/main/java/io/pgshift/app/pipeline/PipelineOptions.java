package io.pgshift.app.pipeline;

/**
 * Which steps of a migration a pipeline runs; each can be skipped ({@code pgshift migrate --skip-...}).
 *
 * @param preData  apply the schema's pre-data section before the load
 * @param load     load a consistent snapshot of the tables' rows; without it only changes from now on are captured
 * @param postData apply the schema's post-data section once the load is applied, before changes are applied
 */
public record PipelineOptions(boolean preData, boolean load, boolean postData) {

    public static PipelineOptions all() {
        return new PipelineOptions(true, true, true);
    }
}
