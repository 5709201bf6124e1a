package io.pgshift.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads SQL kept as {@code .sql} resources: a bare name is under {@code io/pgshift/core/sql/}, a name that
 * starts with {@code /} is a classpath path of its own.
 */
public final class SqlResource {

    private static final ConcurrentHashMap<String, String> CACHE = new ConcurrentHashMap<>();

    private SqlResource() {
    }

    public static String load(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            String path = n.startsWith("/") ? n : "/io/pgshift/core/sql/" + n;
            try (InputStream in = SqlResource.class.getResourceAsStream(path)) {
                if (in == null) {
                    throw new IllegalStateException("Missing SQL resource " + path);
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
