import Remediation

/// The shape check run before a token reaches the desk.
enum TokenShape {
    /// Whether `text` looks like a personal-link token (``PersonalToken/isWellFormed(_:)``:
    /// 22 base64url characters, 128 random bits). Anything else is refused without asking the desk.
    static func isWellFormed(_ text: String) -> Bool {
        PersonalToken.isWellFormed(text)
    }
}
