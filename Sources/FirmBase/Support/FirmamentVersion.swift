/// The version of Firmament.
public enum FirmamentVersion {
    public static let current = "0.1.0"
}
