import Synchronization

/// Feeds the guard from Postfix log events, whatever brought them (a followed file, syslog
/// over UDP or TCP): every AUTH failure and submission counts in the aggregates; while the load
/// alert is raised the `client=…, sasl_username=` and `qmgr … from=` lines are joined into
/// submissions for measure 1, and outside it nothing is joined or kept.
public final class PostfixLogFeed: Sendable {
    public let guardian: MailGuard
    /// Whether joined submissions feed measure 1 (off when the policy server sees them at
    /// END-OF-MESSAGE, so that no mail counts twice).
    public let feedsSubmissions: Bool
    let joiner = Mutex(SubmissionJoiner())

    public init(guardian: MailGuard, feedsSubmissions: Bool) {
        self.guardian = guardian
        self.feedsSubmissions = feedsSubmissions
    }

    /// Takes one event.
    public func take(_ event: PostfixLogEvent) {
        if case .authFailure(let failure) = event { guardian.observe(failure) }
        if feedsSubmissions, guardian.isRaised(.load) {
            if let submission = joiner.withLock({ $0.take(event) }) { guardian.observe(submission) }
        } else {
            joiner.withLock { if $0.waiting > 0 { $0.reset() } }
            if feedsSubmissions, case .authenticated(_, _, _, let time) = event { guardian.countSubmission(at: time) }
        }
    }
}
