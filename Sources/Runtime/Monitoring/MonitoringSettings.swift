/// Where `/metrics`, `/healthz` and `/readyz` listen: a listener of its own, apart from the
/// subscriber portal, on loopback unless the ISP says otherwise (Prometheus scrapes it).
public struct MonitoringSettings: Sendable {
    /// The address it listens on (loopback by default).
    public var host = "127.0.0.1"
    /// The port (0 picks a free one); 9464 by default.
    public var port = 9464
    /// Seconds between reads of the store's gauges (cases, outbox, audit).
    public var storePollInterval: Double = 15

    public init() {}
}
