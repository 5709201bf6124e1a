package io.pgshift.sink;

/** The target refused a change, or cannot take changes at all; the message names what and says what to do. */
public class ApplyException extends RuntimeException {

    public ApplyException(String message, Throwable cause) {
        super(message, cause);
    }
}
