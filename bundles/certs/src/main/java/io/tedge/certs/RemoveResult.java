package io.tedge.certs;

/** What {@link DeviceCertificates#remove()} did. */
public enum RemoveResult {
    /** The certificate, the key, or both were deleted. */
    REMOVED("Certificate was successfully removed"),
    /** Neither file existed; nothing changed. */
    NOTHING_TO_REMOVE("There is no certificate to remove");

    private final String message;

    RemoveResult(String message) {
        this.message = message;
    }

    /** The line that {@code tedge cert remove} prints. */
    public String message() {
        return message;
    }
}
