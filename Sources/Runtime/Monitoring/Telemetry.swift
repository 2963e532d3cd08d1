import Metrics
public import Prometheus

/// The process's metrics: swift-metrics bootstrapped once onto a Prometheus registry, which
/// ``MonitoringService`` exposes at `/metrics`.
///
/// Every metric is an aggregate: counters and gauges labelled by countermeasure, action,
/// outcome, state, format or feed, never by an address, a line, a subscriber, a token or an
/// e-mail address (`MonitoringTests` scrapes it after the notification flow and checks).
public enum Telemetry {
    /// The registry (the first use bootstraps swift-metrics onto it, once per process).
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Bootstraps the metrics system (idempotent); the commands that serve call it first.
    @discardableResult
    public static func bootstrap() -> PrometheusCollectorRegistry { registry }

    /// The registry in the Prometheus text exposition format (version 0.0.4).
    public static func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
