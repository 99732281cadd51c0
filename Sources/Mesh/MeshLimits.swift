import Replication

/// Every maximum the mesh enforces, on the wire and in memory (STYLE.md: "put a limit on everything").
public enum MeshLimits {
    // MARK: Frames (checked by the codec when encoding and when decoding)

    /// Largest frame, header included; sockets also refuse larger messages (`ZMQ_MAXMSGSIZE`).
    public static let frameBytesMax = 32 * 1024 * 1024
    /// Most change sets in one `changeSets` frame.
    public static let changeSetsPerFrameMax = 1_024
    /// Largest single encoded (sealed) change set.
    public static let changeSetBytesMax = 16 * 1024 * 1024
    /// Most entries in a version vector on the wire: one per site of the cluster.
    public static let vectorEntriesMax = ReplicationLimits.sitesMax
    /// Longest string field (a cluster id) in bytes; site codes are shorter still (`siteCodeBytesMax`).
    public static let stringBytesMax = 64
    /// Longest site code in bytes: the 8 characters `SiteID` allows, all ASCII on the wire.
    public static let siteCodeBytesMax = 8
    /// Most change sets one `request` may grant; a receiver grants what it can buffer, far less than this.
    public static let creditChangeSetsMax: UInt32 = 1_000_000

    // MARK: Sockets and queues

    /// Largest high-water mark a configuration may set, in frames per socket direction.
    public static let highWaterMarkFramesMax: Int32 = 100_000
    /// Most received frames waiting for the consumer of `MeshEndpoint.received`; beyond it the endpoint
    /// stops reading its socket, so the sender's queue fills and its `send` reports `wouldBlock`.
    public static let receiveBufferFramesMax = 100_000
    /// Most `send` calls waiting for the I/O thread; beyond it `send` reports `wouldBlock` at once.
    public static let pendingSendsMax = 4_096
    /// Most peers one endpoint links to: every other site of the cluster.
    public static let peersMax = ReplicationLimits.sitesMax - 1
    /// Most frames read from the socket before the I/O thread looks at its mailbox again.
    public static let receiveBatchFramesMax = 256
    /// Longest a socket may linger over unsent frames when it closes: bounds `stop()`.
    public static let lingerMax: Duration = .seconds(1)
    /// How often the I/O thread retries handing a frame to a full receive buffer.
    public static let receiveRetryInterval: Duration = .milliseconds(2)
    /// Distinct refused client keys remembered for logging; further ones are counted, logged as "other".
    public static let refusedKeysTrackedMax = 256

    // The relations between limits: a frame must hold the largest change set and the largest vector.
    static func checkRelations() {
        precondition(changeSetBytesMax + 64 <= frameBytesMax, "a change set must fit in one frame")
        precondition(vectorEntriesMax * (1 + siteCodeBytesMax + 8) + 64 <= frameBytesMax, "a vector must fit")
        precondition(siteCodeBytesMax <= stringBytesMax, "a site code is a string")
        precondition(Int(UInt32.max) >= frameBytesMax, "frame lengths are UInt32 on the wire")
        precondition(Int(UInt16.max) >= vectorEntriesMax, "vector counts are UInt16 on the wire")
        precondition(Int(UInt8.max) >= stringBytesMax, "string lengths are UInt8 on the wire")
        precondition(Int(UInt16.max) >= capacityHandlersMax, "handler counts are UInt16 on the wire")
        precondition(Int(UInt16.max) >= capacityOrganisationsMax, "capacity entry counts are UInt16 on the wire")
        precondition(pendingSendsMax >= 1 && receiveBufferFramesMax >= 1, "queues hold at least one item")
    }
}
