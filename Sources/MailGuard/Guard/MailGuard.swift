public import Addressing
public import Foundation
public import Secrecy
import Synchronization

/// Tells the owner of a suspended ID (ja/en, through the mail notice outbox) to change the
/// password. Implemented where the outbox is (`Runtime`): it keeps the suspension until the
/// store sync writes the notice to the outbox, audited there (`notice-queued`).
public protocol SuspensionNotifier: Sendable {
    /// Called once for each suspension this guard makes (outside its lock).
    func suspended(_ suspension: Suspension)
}

/// The SMTP AUTH abuse guard: alerts, the two measures' detectors, suspensions and blocks.
///
/// Outside an alert it keeps aggregate counters only (submissions and AUTH failures per minute),
/// never a per-ID or per-address entry. While the load alert is raised, each authenticated
/// submission (source IP, time, sender, AUTH ID) feeds measure 1; while the auth-failure alert is
/// raised, each failure (source IP, time) feeds measure 2. An alert's end drops that measure's
/// windows and lifts its blocks. Every alert start and end, suspension, block, lift and notice is
/// audited with pseudonyms (never a login or an address in clear).
///
/// Decisions (``policyAction(for:)``, ``isBlocked(_:)``) read memory under one lock: no request
/// waits on a store.
public final class MailGuard: Sendable {
    public let configuration: MailGuardConfiguration
    let audit: any AuditSink
    let pseudonymizer: Pseudonymizer
    let notifier: (any SuspensionNotifier)?
    let state: Mutex<State>

    struct IDWindow {
        var events: [(time: Date, address: IPAddress, sender: String?)] = []
    }

    struct FailureWindow {
        var times: [Date] = []
    }

    struct State {
        var alerts: [MailAlert: RaisedAlert] = [:]
        var submissionMinutes: [Int64: Int] = [:]
        var failureMinutes: [Int64: Int] = [:]
        var submissionsTotal = 0
        var failuresTotal = 0
        var belowSince: [MailAlert: Date] = [:]
        var ids: [String: IDWindow] = [:]
        var addresses: [IPAddress: FailureWindow] = [:]
        var suspensions: [String: Suspension] = [:]
        var blocks: [IPAddress: Block] = [:]
        var pendingAudit: [AuditEntry] = []
        var pendingNotices: [Suspension] = []
    }

    public init(
        configuration: MailGuardConfiguration, audit: any AuditSink, pseudonymizer: Pseudonymizer,
        notifier: (any SuspensionNotifier)? = nil, suspensions: [Suspension] = [], alerts: [RaisedAlert] = []
    ) {
        self.configuration = configuration
        self.audit = audit
        self.pseudonymizer = pseudonymizer
        self.notifier = notifier
        var initial = State()
        for suspension in suspensions { initial.suspensions[suspension.authID] = suspension }
        for alert in alerts { initial.alerts[alert.alert] = alert }
        self.state = Mutex(initial)
    }

    // MARK: Reading

    /// The alerts raised now.
    public var alerts: [RaisedAlert] { state.withLock { $0.alerts.values.sorted { $0.alert.rawValue < $1.alert.rawValue } } }
    /// Whether `alert` is raised.
    public func isRaised(_ alert: MailAlert) -> Bool { state.withLock { $0.alerts[alert] != nil } }
    /// The suspensions in force.
    public var suspensions: [Suspension] { state.withLock { $0.suspensions.values.sorted { $0.since < $1.since } } }
    /// The blocks in force.
    public var blocks: [Block] { state.withLock { $0.blocks.values.sorted { $0.since < $1.since } } }
    /// How many IDs and addresses the detectors track now (0 and 0 outside the alerts).
    public var tracked: (ids: Int, addresses: Int) { state.withLock { ($0.ids.count, $0.addresses.count) } }
    /// The aggregate counters since start.
    public var totals: (submissions: Int, failures: Int) { state.withLock { ($0.submissionsTotal, $0.failuresTotal) } }

    /// The policy server's answer: the configured action for a suspended ID, DUNNO otherwise.
    public func policyAction(for request: PolicyRequest, at now: Date = Date()) -> PolicyAction {
        if request.isEndOfMessage, let login = request.saslUsername, let address = request.clientAddress {
            observe(AuthenticatedSubmission(sourceIP: address, time: now, sender: request.sender, authID: login))
        }
        guard let login = request.saslUsername, isSuspended(login, at: now) else { return .dunno }
        return configuration.suspendedReply.action(text: configuration.suspendedText)
    }

    /// Whether `authID` is suspended at `now`.
    public func isSuspended(_ authID: String, at now: Date = Date()) -> Bool {
        state.withLock { state in
            guard let suspension = state.suspensions[authID] else { return false }
            return suspension.until > now
        }
    }

    /// Whether `address` is not offered AUTH now.
    public func isBlocked(_ address: IPAddress) -> Bool { state.withLock { $0.blocks[address] != nil } }

    /// The socketmap answer for `request`: map `sasl_access` (key: SASL login, for
    /// `check_sasl_access`) and `sasl_exceptions` (key: client IP, for
    /// `smtpd_sasl_exceptions_networks`).
    public func socketmapReply(_ request: Socketmap.Request, at now: Date = Date()) -> Socketmap.Reply {
        switch request.map {
        case "sasl_access":
            guard isSuspended(request.key, at: now) else { return .notFound }
            return .ok(configuration.suspendedReply.action(text: configuration.suspendedText).description)
        case "sasl_exceptions":
            guard let address = IPAddress(request.key), isBlocked(address) else { return .notFound }
            return .ok("blocked")
        default:
            return .permanent("unknown map")
        }
    }

    /// The auth-policy answer: `{"status":-1,…}` for a blocked address; a `report` of a failed
    /// SMTP attempt also counts as a failure.
    public func authPolicyReply(_ request: AuthPolicyRequest, at now: Date = Date()) -> String {
        if request.isSMTP, request.command == .report, request.failed {
            observe(AuthFailure(sourceIP: request.remote, time: now))
        }
        let blocked = request.isSMTP && isBlocked(request.remote)
        return AuthPolicyRequest.replyBody(blocked: blocked, message: configuration.blockedMessage)
    }

    // MARK: Alerts

    /// Raises `alert` (nothing if it is already raised); audited.
    @discardableResult
    public func raise(_ alert: MailAlert, by source: AlertSource, at now: Date = Date()) -> Bool {
        let raised = state.withLock { state -> Bool in
            guard state.alerts[alert] == nil else { return false }
            state.alerts[alert] = RaisedAlert(alert: alert, since: now, source: source)
            state.belowSince[alert] = nil
            state.pendingAudit.append(
                AuditEntry(
                    time: now, countermeasure: CountermeasureID(alert.countermeasure), action: AuditEntry.Action.alertStart,
                    actor: actor(source), subject: "alert:\(alert)", detail: ["source": source.rawValue]))
            return true
        }
        flush()
        return raised
    }

    /// Clears `alert` (nothing if it is not raised): drops that measure's windows, and for the
    /// auth-failure alert lifts every block; audited.
    @discardableResult
    public func clear(_ alert: MailAlert, by source: AlertSource, at now: Date = Date()) -> Bool {
        let cleared = state.withLock { state -> Bool in
            guard let raised = state.alerts.removeValue(forKey: alert) else { return false }
            state.belowSince[alert] = nil
            let countermeasure = CountermeasureID(alert.countermeasure)
            switch alert {
            case .load:
                state.ids.removeAll()
            case .authFailure:
                state.addresses.removeAll()
                for (address, block) in state.blocks.sorted(by: { $0.key < $1.key }) {
                    state.pendingAudit.append(liftEntry(address: address, block: block, reason: "alert-end", actor: actor(source), at: now))
                }
                state.blocks.removeAll()
            }
            state.pendingAudit.append(
                AuditEntry(
                    time: now, countermeasure: countermeasure, action: AuditEntry.Action.alertEnd, actor: actor(source),
                    subject: "alert:\(alert)",
                    detail: ["source": source.rawValue, "duration-seconds": String(Int(now.timeIntervalSince(raised.since)))]))
            return true
        }
        flush()
        return cleared
    }

    // MARK: Observations

    /// One authenticated submission (from the log join, `postcat -e`, or the policy server at
    /// END-OF-MESSAGE). Counted always; analysed only while the load alert is raised.
    public func observe(_ submission: AuthenticatedSubmission) {
        state.withLock { state in
            state.submissionsTotal += 1
            state.submissionMinutes[Self.minute(submission.time), default: 0] += 1
            guard state.alerts[.load] != nil else { return }
            guard state.suspensions[submission.authID] == nil else { return }
            if state.ids[submission.authID] == nil, state.ids.count >= configuration.maximumTracked { return }
            var window = state.ids[submission.authID] ?? IDWindow()
            let start = submission.time.addingTimeInterval(-configuration.abuseWindow)
            window.events.removeAll { $0.time < start }
            window.events.append((submission.time, submission.sourceIP, submission.sender))
            if window.events.count > max(configuration.volume, 64) * 2 { window.events.removeFirst(window.events.count / 2) }
            if let reason = abuseReason(window, authID: submission.authID) {
                state.ids[submission.authID] = nil
                suspend(&state, authID: submission.authID, reason: reason, by: "service:mail-guard", at: submission.time)
            } else {
                state.ids[submission.authID] = window
            }
        }
        flush()
    }

    /// Counts one authenticated submission in the aggregate counters only (no ID, no address):
    /// what the log follower does outside the load alert, where it may not join lines.
    public func countSubmission(at time: Date) {
        state.withLock { state in
            state.submissionsTotal += 1
            state.submissionMinutes[Self.minute(time), default: 0] += 1
        }
    }

    /// One AUTH failure (from the log or an auth-policy `report`). Counted always; analysed only
    /// while the auth-failure alert is raised.
    public func observe(_ failure: AuthFailure) {
        state.withLock { state in
            state.failuresTotal += 1
            state.failureMinutes[Self.minute(failure.time), default: 0] += 1
            guard state.alerts[.authFailure] != nil else { return }
            if var block = state.blocks[failure.sourceIP] {
                block.attempts += 1
                block.lastFailure = max(block.lastFailure, failure.time)
                state.blocks[failure.sourceIP] = block
                return
            }
            if state.addresses[failure.sourceIP] == nil, state.addresses.count >= configuration.maximumTracked { return }
            var window = state.addresses[failure.sourceIP] ?? FailureWindow()
            let start = failure.time.addingTimeInterval(-configuration.failureWindow)
            window.times.removeAll { $0 < start }
            window.times.append(failure.time)
            guard window.times.count >= configuration.failuresToBlock else {
                state.addresses[failure.sourceIP] = window
                return
            }
            state.addresses[failure.sourceIP] = nil
            let block = Block(address: failure.sourceIP.description, since: failure.time, lastFailure: failure.time, attempts: window.times.count)
            state.blocks[failure.sourceIP] = block
            let span = window.times.last!.timeIntervalSince(window.times.first!)
            let interval = window.times.count > 1 ? span / Double(window.times.count - 1) : 0
            state.pendingAudit.append(
                AuditEntry(
                    time: failure.time, countermeasure: .smtpBruteForce, action: AuditEntry.Action.block, actor: "service:mail-guard",
                    subject: subject(failure.sourceIP),
                    detail: [
                        "attempts": String(window.times.count), "interval-ms": String(Int((interval * 1000).rounded())),
                        "quiet-period-seconds": String(Int(configuration.quietPeriod)),
                    ]))
        }
        flush()
    }

    /// Lifts blocks whose quiet period has passed, ends expired suspensions, and raises or clears
    /// threshold alerts from the aggregate counters. Call it every few seconds.
    public func tick(at now: Date = Date()) {
        var toRaise: [MailAlert] = []
        var toClear: [MailAlert] = []
        state.withLock { state in
            for (address, block) in state.blocks.sorted(by: { $0.key < $1.key })
            where now.timeIntervalSince(block.lastFailure) >= configuration.quietPeriod {
                state.blocks[address] = nil
                state.pendingAudit.append(liftEntry(address: address, block: block, reason: "quiet-period", actor: "service:mail-guard", at: now))
            }
            for (login, suspension) in state.suspensions.sorted(by: { $0.key < $1.key }) where suspension.until <= now {
                state.suspensions[login] = nil
                state.pendingAudit.append(unsuspendEntry(login, reason: "expired", actor: "service:mail-guard", at: now))
            }
            let current = Self.minute(now)
            state.submissionMinutes = state.submissionMinutes.filter { $0.key >= current - 2 }
            state.failureMinutes = state.failureMinutes.filter { $0.key >= current - 2 }
            let rates: [MailAlert: (Int?, Int)] = [
                .load: (configuration.loadRaisePerMinute, state.submissionMinutes[current - 1, default: 0]),
                .authFailure: (configuration.authFailureRaisePerMinute, state.failureMinutes[current - 1, default: 0]),
            ]
            for (alert, (threshold, rate)) in rates {
                guard let threshold else { continue }
                let lastMinute = max(rate, (alert == .load ? state.submissionMinutes : state.failureMinutes)[current, default: 0])
                if let raised = state.alerts[alert] {
                    guard raised.source == .threshold else { continue }
                    if lastMinute * 2 < threshold {
                        let since = state.belowSince[alert] ?? now
                        state.belowSince[alert] = since
                        if now.timeIntervalSince(since) >= configuration.thresholdClearAfter { toClear.append(alert) }
                    } else {
                        state.belowSince[alert] = nil
                    }
                } else if lastMinute >= threshold {
                    toRaise.append(alert)
                }
            }
        }
        flush()
        for alert in toRaise { raise(alert, by: .threshold, at: now) }
        for alert in toClear { clear(alert, by: .threshold, at: now) }
    }

    // MARK: Operator and ISP actions

    /// Lifts the block on `address` (operator action); false if it was not blocked. `audited`
    /// false when the act was audited where it was made (`mamori mail lift` audits itself).
    @discardableResult
    public func lift(address: IPAddress, actor: String = "cli", audited: Bool = true, at now: Date = Date()) -> Bool {
        let lifted = state.withLock { state -> Bool in
            guard let block = state.blocks.removeValue(forKey: address) else { return false }
            if audited { state.pendingAudit.append(liftEntry(address: address, block: block, reason: "operator", actor: actor, at: now)) }
            return true
        }
        flush()
        return lifted
    }

    /// Ends the suspension of `authID`: `reason` is `operator` or `password-changed`. `audited`
    /// false when the act was audited where it was made (`mamori mail lift` audits itself).
    @discardableResult
    public func lift(authID: String, reason: String = "operator", actor: String = "cli", audited: Bool = true, at now: Date = Date()) -> Bool {
        let lifted = state.withLock { state -> Bool in
            guard state.suspensions.removeValue(forKey: authID) != nil else { return false }
            if audited { state.pendingAudit.append(unsuspendEntry(authID, reason: reason, actor: actor, at: now)) }
            return true
        }
        flush()
        return lifted
    }

    // MARK: Internals

    static func minute(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 60).rounded(.down)) }

    static func prefix(_ address: IPAddress) -> IPAddress {
        if let v4 = address.v4Value { return IPAddress(v4: v4 & 0xFFFF_FF00) }
        return IPAddress(v6: address.value & (UInt128.max << 80))
    }

    func abuseReason(_ window: IDWindow, authID: String) -> String? {
        let addresses = Set(window.events.map(\.address))
        if addresses.count >= configuration.distinctAddresses { return "distinct-addresses" }
        if Set(addresses.map(Self.prefix)).count >= configuration.distinctPrefixes { return "distinct-prefixes" }
        if window.events.count >= configuration.volume { return "volume" }
        let others = Set(window.events.compactMap(\.sender).filter { $0.caseInsensitiveCompare(authID) != .orderedSame })
        if others.count >= configuration.unusualSenders { return "unusual-senders" }
        return nil
    }

    func suspend(_ state: inout State, authID: String, reason: String, by actor: String, at now: Date) {
        let suspension = Suspension(authID: authID, since: now, until: now.addingTimeInterval(configuration.suspensionDuration), reason: reason)
        state.suspensions[authID] = suspension
        state.pendingAudit.append(
            AuditEntry(
                time: now, countermeasure: .smtpCredentialAbuse, action: AuditEntry.Action.suspension, actor: actor,
                subject: pseudonymizer.pseudonym(subscriber: authID),
                detail: ["reason": reason, "until": String(Int64(suspension.until.timeIntervalSince1970))]))
        state.pendingNotices.append(suspension)
    }

    /// Suspends `authID` by operator decision (outside the detectors), with a notice.
    public func suspend(authID: String, actor: String = "cli", at now: Date = Date()) {
        state.withLock { state in suspend(&state, authID: authID, reason: "operator", by: actor, at: now) }
        flush()
    }

    func subject(_ address: IPAddress) -> String { "ip:" + pseudonymizer.pseudonym(address: address).description }

    func actor(_ source: AlertSource) -> String {
        switch source {
        case .threshold: "service:mail-guard"
        case .cli: "cli"
        case .webhook: "webhook:alertmanager"
        }
    }

    func liftEntry(address: IPAddress, block: Block, reason: String, actor: String, at now: Date) -> AuditEntry {
        AuditEntry(
            time: now, countermeasure: .smtpBruteForce, action: "lift", actor: actor, subject: subject(address),
            detail: ["reason": reason, "attempts": String(block.attempts), "blocked-seconds": String(Int(now.timeIntervalSince(block.since)))])
    }

    func unsuspendEntry(_ login: String, reason: String, actor: String, at now: Date) -> AuditEntry {
        AuditEntry(
            time: now, countermeasure: .smtpCredentialAbuse, action: "lift", actor: actor, subject: pseudonymizer.pseudonym(subscriber: login),
            detail: ["reason": reason])
    }

    /// Writes the audit entries and queues the notices made under the lock, outside it.
    func flush() {
        let (entries, notices) = state.withLock { state in
            defer {
                state.pendingAudit.removeAll()
                state.pendingNotices.removeAll()
            }
            return (state.pendingAudit, state.pendingNotices)
        }
        for entry in entries { _ = try? audit.append(entry) }
        if let notifier { for suspension in notices { notifier.suspended(suspension) } }
    }
}
