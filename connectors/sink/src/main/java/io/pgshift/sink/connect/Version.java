package io.pgshift.sink.connect;

/** The version of this build, from the jar manifest. */
final class Version {

    private Version() {
    }

    static String get() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "unknown" : v;
    }
}
