public import Addressing
import Foundation

/// One Dovecot auth-policy request (`POST …?command=allow|report`, a JSON object), cut to what
/// measure 2 may know: the remote address, whether it is SMTP, and (on `report`) whether the
/// attempt failed.
///
/// Dovecot's default `auth_policy_request_attributes` also send `login` (the tried user name)
/// and `pwhash` (a truncated hash of the password). Neither is a measure 2 item, so a request
/// carrying either is refused (``MailGuardError/forbiddenAuthPolicyAttribute(name:)``) and the
/// operator is told to set `auth_policy_request_attributes = remote=%{rip} protocol=%s`.
public struct AuthPolicyRequest: Sendable, Hashable {
    /// `allow` (before or after the passdb) or `report` (after it).
    public enum Command: String, Sendable, Hashable {
        case allow
        case report
    }

    public var command: Command
    /// `remote`: the client's address.
    public var remote: IPAddress
    /// Whether `protocol` is `smtp` (other services are answered 0 and not counted).
    public var isSMTP: Bool
    /// On `report`: `success == false` (the attempt failed). Always false on `allow`.
    public var failed: Bool

    public init(command: Command, remote: IPAddress, isSMTP: Bool, failed: Bool) {
        self.command = command
        self.remote = remote
        self.isSMTP = isSMTP
        self.failed = failed
    }

    /// The largest body accepted.
    public static let maximumBodySize = 8 * 1024

    /// The attributes whose presence is refused.
    public static let forbiddenAttributes: Set<String> = ["login", "pwhash"]

    /// The command from a request target such as `/?command=allow` or `/policy?x=1&command=report`.
    public static func command(target: String) throws(MailGuardError) -> Command {
        guard let question = target.firstIndex(of: "?") else { throw .malformedAuthPolicyRequest(reason: "no `command` in the query") }
        for pair in target[target.index(after: question)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "command" else { continue }
            guard let command = Command(rawValue: String(parts[1])) else {
                throw .malformedAuthPolicyRequest(reason: "`command` is neither allow nor report")
            }
            return command
        }
        throw .malformedAuthPolicyRequest(reason: "no `command` in the query")
    }

    /// Parses a request's target and JSON body.
    public static func parse(target: String, body: some Collection<UInt8>) throws(MailGuardError) -> AuthPolicyRequest {
        let command = try command(target: target)
        guard body.count <= maximumBodySize else { throw .malformedAuthPolicyRequest(reason: "body over \(maximumBodySize) bytes") }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw MailGuardError.malformedAuthPolicyRequest(reason: "body is not a JSON object")
            }
            object = parsed
        } catch let error as MailGuardError {
            throw error
        } catch {
            throw .malformedAuthPolicyRequest(reason: "body is not JSON")
        }
        for name in forbiddenAttributes.sorted() where object[name] != nil {
            throw .forbiddenAuthPolicyAttribute(name: name)
        }
        guard let remoteText = object["remote"] as? String else { throw .malformedAuthPolicyRequest(reason: "`remote` missing") }
        guard let remote = IPAddress(remoteText) else { throw .malformedAuthPolicyRequest(reason: "`remote` is not an IP address") }
        let isSMTP = (object["protocol"] as? String) == "smtp"
        var failed = false
        if command == .report {
            guard let success = object["success"] as? Bool else { throw .malformedAuthPolicyRequest(reason: "`success` missing on report") }
            failed = !success
        }
        return AuthPolicyRequest(command: command, remote: remote, isSMTP: isSMTP, failed: failed)
    }

    /// The reply body: `{"status":-1,"msg":"…"}` to refuse, `{"status":0,"msg":""}` otherwise.
    public static func replyBody(blocked: Bool, message: String) -> String {
        guard blocked else { return #"{"status":0,"msg":""}"# }
        var escaped = ""
        for scalar in message.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case _ where scalar.value < 0x20: escaped += " "
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return #"{"status":-1,"msg":""# + escaped + #""}"#
    }
}
