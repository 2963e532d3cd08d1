import Foundation
import FuzzDriver
import MailGuard

/// Postfix log input as the mail guard receives it: the bytes as a syslog TCP stream (RFC 6587
/// frames, each message made a log line) and as a log file (lines cut at LF), each line read by
/// the byte-level Postfix log parser and the queue-id join. Beyond not crashing: a frame lies
/// inside the input and past its start; the byte path and the `Substring` path read every
/// valid UTF-8 line alike; an event keeps no empty AUTH ID or queue id.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parser = PostfixLogParser(time: SyslogTime(reference: Date(timeIntervalSince1970: 1_795_737_600)))
    var joiner = SubmissionJoiner(capacity: 16, maximumWait: 60)

    // As the syslog TCP listener: frame after frame, each message as a log line.
    var start = 0
    while start < size {
        let frame: (message: Range<Int>, end: Int)?
        do {
            frame = try Syslog.frame(in: bytes[start...])
        } catch {
            break
        }
        guard let frame else { break }
        guard frame.end > 0, start + frame.end <= size, frame.message.upperBound <= frame.end else {
            fatalError("a syslog frame ended outside the input")
        }
        let message = String(decoding: bytes[(start + frame.message.lowerBound)..<(start + frame.message.upperBound)], as: UTF8.self)
        if let line = try? Syslog.logLine(Substring(message)) { check(Substring(line), parser, &joiner) }
        start += frame.end
    }

    // As the file follower: lines cut at LF.
    var lineStart = 0
    while lineStart < size {
        var end = lineStart
        while end < size, bytes[end] != 0x0A { end += 1 }
        let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<end])
        let event = parser.parse(bytes: line)
        if let text = String(validating: line, as: UTF8.self) {
            let other = try? parser.parse(Substring(text))
            guard other == event else { fatalError("the byte and Substring paths disagree") }
        }
        if let event { take(event, &joiner) }
        lineStart = end + 1
    }
    return 0
}

func check(_ line: Substring, _ parser: PostfixLogParser, _ joiner: inout SubmissionJoiner) {
    guard let event = try? parser.parse(line) else { return }
    take(event, &joiner)
}

func take(_ event: PostfixLogEvent, _ joiner: inout SubmissionJoiner) {
    switch event {
    case .authenticated(let id, _, let login, _):
        guard !id.isEmpty, !login.isEmpty else { fatalError("an empty queue id or AUTH ID was kept") }
    case .queued(let id, let sender, _):
        guard !id.isEmpty, sender?.isEmpty != true else { fatalError("an empty queue id or sender was kept") }
    default:
        break
    }
    if let submission = joiner.take(event), submission.authID.isEmpty { fatalError("a joined submission without AUTH ID") }
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzPostfixLog_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}
