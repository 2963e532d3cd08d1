import Foundation

/// A documented exit with a code and an optional message for stderr.
public struct MamoriExit: Error {
    public var code: Int32
    public var message: String?

    public init(code: Int32, message: String? = nil) {
        self.code = code
        self.message = message
    }

    public static let brokenChain: Int32 = 3
    public static let dataError: Int32 = 65
    public static let noInput: Int32 = 66
    public static let temporaryFailure: Int32 = 75
}

/// Writing to stdout/stderr. The CLI's results go to stdout (they are its output, read by
/// scripts); diagnostics go to stderr.
public enum Output {
    public static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    public static func error(_ text: String) {
        FileHandle.standardError.write(Data(("mamori: " + text + "\n").utf8))
    }

    public static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
