package io.tedge.certs;

/** How an upload of the device certificate to a cloud ended, when it did not fail. */
public enum UploadResult {
    /** The cloud answered 200 or 201. */
    UPLOADED("Certificate uploaded successfully."),
    /** The cloud answered 409: it already trusts this certificate. */
    ALREADY_EXISTS("Certificate already exists in the cloud.");

    private final String message;

    UploadResult(String message) {
        this.message = message;
    }

    /** The line that {@code tedge cert upload} prints. */
    public String message() {
        return message;
    }
}
