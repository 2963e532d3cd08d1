public import Hummingbird
public import Logging
import NIOCore
public import Storage

/// `/metrics` (Prometheus text format), `/healthz` (the process serves) and `/readyz` (the
/// store answers and its migrations are this build's) on their own listener.
///
/// ```
/// curl -s http://127.0.0.1:9464/metrics | grep mamori_cases
/// curl -si http://127.0.0.1:9464/readyz      # 200 "ready", or 503 with the reason
/// ```
public func makeMonitoringApplication(store: any Storage, settings: MonitoringSettings, logger: Logger) -> some ApplicationProtocol {
    Telemetry.bootstrap()
    let router = Router(context: BasicRequestContext.self)
    router.get("/metrics") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: Telemetry.exposition())))
    }
    router.get("/healthz") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
    }
    router.get("/readyz") { _, _ in
        let readiness = await store.readiness()
        if readiness.isReady {
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ready\n")))
        }
        logger.warning("not ready", metadata: ["reason": "\(readiness.problem ?? "-")"])
        return Response(
            status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "not ready: \(readiness.problem ?? "unknown")\n")))
    }
    return Application(
        router: router, configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: nil),
        logger: logger)
}
