/// How badly the simulated network behaves.
public struct NetworkFaults: Sendable, Equatable {
    /// Chance in 100 that a message is lost.
    public var lossPercent: Int
    /// Chance in 100 that a message is delivered twice.
    public var duplicatePercent: Int
    /// Most extra delay a message may suffer, in simulated milliseconds.
    public var delayMsMax: Int64
    /// Chance in 100, per step, that a link is cut or healed.
    public var partitionPercent: Int

    public init(lossPercent: Int, duplicatePercent: Int, delayMsMax: Int64, partitionPercent: Int) {
        precondition((0...100).contains(lossPercent) && (0...100).contains(duplicatePercent))
        precondition(delayMsMax >= 0 && (0...100).contains(partitionPercent))
        self.lossPercent = lossPercent
        self.duplicatePercent = duplicatePercent
        self.delayMsMax = delayMsMax
        self.partitionPercent = partitionPercent
    }

    /// A network that delivers everything once, promptly.
    public static let perfect = NetworkFaults(lossPercent: 0, duplicatePercent: 0, delayMsMax: 0, partitionPercent: 0)
}

/// A deterministic network between numbered nodes: messages are lost, duplicated, delayed, reordered, and
/// links are cut and healed, all decided by the simulation's seeded generator.
public struct SimulatedNetwork<Message: Sendable>: Sendable {
    public struct Envelope: Sendable {
        public let from: Int
        public let to: Int
        public let message: Message
        let deliverAtMs: Int64
        let order: UInt64
    }

    public let nodes: Int
    public var faults: NetworkFaults
    /// Most messages in flight; a send beyond it is dropped (a bounded queue, like any real one).
    public let inFlightMax: Int
    private var inFlight: [Envelope] = []
    private var cut: Set<[Int]> = []
    private var counter: UInt64 = 0
    public private(set) var lost = 0
    public private(set) var duplicated = 0

    public init(nodes: Int, faults: NetworkFaults, inFlightMax: Int = 10_000) {
        precondition(nodes >= 2, "a network needs two nodes")
        self.nodes = nodes
        self.faults = faults
        self.inFlightMax = inFlightMax
    }

    public func isCut(_ a: Int, _ b: Int) -> Bool { cut.contains([min(a, b), max(a, b)]) }

    public var inFlightCount: Int { inFlight.count }

    /// Sends a message; it may be lost, duplicated or delayed, and is lost on a cut link.
    public mutating func send(from: Int, to: Int, _ message: Message, nowMs: Int64, random: inout SeededRandom) {
        precondition(from != to && (0..<nodes).contains(from) && (0..<nodes).contains(to))
        guard !isCut(from, to), !random.chance(faults.lossPercent), inFlight.count < inFlightMax else {
            lost += 1
            return
        }
        let copies = random.chance(faults.duplicatePercent) ? 2 : 1
        if copies == 2 { duplicated += 1 }
        for _ in 0..<copies {
            counter += 1
            let delay = faults.delayMsMax == 0 ? 0 : Int64.random(in: 0...faults.delayMsMax, using: &random)
            inFlight.append(Envelope(from: from, to: to, message: message, deliverAtMs: nowMs + delay, order: counter))
        }
    }

    /// Messages due by `nowMs`, in a random order; messages on links cut meanwhile are lost.
    public mutating func deliver(nowMs: Int64, random: inout SeededRandom) -> [Envelope] {
        var due: [Envelope] = []
        var waiting: [Envelope] = []
        for envelope in inFlight {
            if envelope.deliverAtMs <= nowMs { due.append(envelope) } else { waiting.append(envelope) }
        }
        inFlight = waiting
        due.sort { $0.order < $1.order }
        due.shuffle(using: &random)
        return due.filter { envelope in
            if isCut(envelope.from, envelope.to) {
                lost += 1
                return false
            }
            return true
        }
    }

    /// Cuts or heals links at random.
    public mutating func stir(random: inout SeededRandom) {
        guard random.chance(faults.partitionPercent) else { return }
        let a = Int.random(in: 0..<nodes, using: &random)
        var b = Int.random(in: 0..<nodes, using: &random)
        if a == b { b = (a + 1) % nodes }
        let link = [min(a, b), max(a, b)]
        if cut.contains(link) { cut.remove(link) } else { cut.insert(link) }
    }

    /// Heals every link and stops losing or duplicating: the convergence phase.
    public mutating func heal() {
        cut.removeAll()
        faults = .perfect
    }
}
