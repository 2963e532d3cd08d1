public import Foundation

/// A Prometheus Alertmanager webhook (`POST`, JSON `{"alerts":[{"status":…,"labels":{…}}]}`): the
/// alerts labelled `mamori_mail_alert="load"` or `"auth-failure"` raise (`firing`) or clear
/// (`resolved`) the guard's alerts. Other alerts are ignored.
public enum AlertmanagerWebhook {
    /// The label that names the guard's alert.
    public static let label = "mamori_mail_alert"

    /// The (alert, firing) pairs of a webhook body, in order.
    public static func parse(_ body: some Collection<UInt8>) throws(MailGuardError) -> [(MailAlert, Bool)] {
        guard body.count <= 1 << 20 else { throw .malformedAuthPolicyRequest(reason: "webhook body over 1 MiB") }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw MailGuardError.malformedAuthPolicyRequest(reason: "webhook body is not a JSON object")
            }
            object = parsed
        } catch let error as MailGuardError {
            throw error
        } catch {
            throw .malformedAuthPolicyRequest(reason: "webhook body is not JSON")
        }
        guard let alerts = object["alerts"] as? [[String: Any]] else { throw .malformedAuthPolicyRequest(reason: "webhook has no `alerts` array") }
        var out: [(MailAlert, Bool)] = []
        for alert in alerts {
            guard let labels = alert["labels"] as? [String: Any], let name = labels[label] as? String, let which = MailAlert(rawValue: name) else {
                continue
            }
            let status = (alert["status"] as? String) ?? (object["status"] as? String) ?? ""
            guard status == "firing" || status == "resolved" else { continue }
            out.append((which, status == "firing"))
        }
        return out
    }
}

extension MailGuard {
    /// Applies a webhook's alerts (raised or cleared by `webhook`, audited); returns how many changed.
    @discardableResult
    public func applyWebhook(_ alerts: [(MailAlert, Bool)], at now: Date = Date()) -> Int {
        var changed = 0
        for (alert, firing) in alerts where firing ? raise(alert, by: .webhook, at: now) : clear(alert, by: .webhook, at: now) {
            changed += 1
        }
        return changed
    }
}
