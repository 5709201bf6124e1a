package io.pgshift.app.config;

/** A configuration error; the message names the key, the bad value (never a secret) and what is valid. */
public final class ConfigException extends RuntimeException {

    private final String key;

    public ConfigException(String key, String message) {
        super(key == null ? message : "Configuration key '" + key + "': " + message);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
