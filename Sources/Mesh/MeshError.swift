import Replication

/// What went wrong in the mesh transport, worded for the operator or the caller that must react.
public enum MeshError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The peer has no authenticated connection now (down, unreachable, or refusing our key): retry later.
    case peerUnavailable(SiteID)
    /// The link to the peer is full (its high-water mark or the send queue): slow down and retry.
    case wouldBlock(SiteID)
    /// The site is not one of this endpoint's peers.
    case unknownPeer(SiteID)
    /// The endpoint is not running (never started, or stopped).
    case notRunning
    /// `start()` was called twice; an endpoint runs once.
    case alreadyStarted
    /// The frame cannot be encoded.
    case invalidFrame(FrameError)
    /// The configuration is inconsistent; the reason says what to change.
    case invalidConfiguration(String)
    /// This libzmq was built without CURVE security.
    case curveUnavailable
    /// The ZeroMQ context was shut down while a call was in progress.
    case terminated
    /// A libzmq or system call failed.
    case socket(operation: String, code: Int32, reason: String)

    public var description: String {
        switch self {
        case .peerUnavailable(let site):
            "peer \(site) is not connected (down, unreachable, or refusing this site's key); retry later"
        case .wouldBlock(let site):
            "the link to \(site) is full; wait for the peer's credit or acknowledgement and retry"
        case .unknownPeer(let site):
            "\(site) is not a peer of this endpoint; add it to the topology first"
        case .notRunning:
            "the mesh endpoint is not running"
        case .alreadyStarted:
            "the mesh endpoint is already started; create a new endpoint to start again"
        case .invalidFrame(let error):
            "cannot encode frame: \(error)"
        case .invalidConfiguration(let reason):
            "invalid mesh configuration: \(reason)"
        case .curveUnavailable:
            "the installed libzmq has no CURVE support; install libzmq built with libsodium (libzmq3-dev on Debian)"
        case .terminated:
            "the ZeroMQ context was shut down"
        case .socket(let operation, let code, let reason):
            "\(operation) failed: \(reason) (errno \(code))"
        }
    }
}
