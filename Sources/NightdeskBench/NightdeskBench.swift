import Foundation

/// Benchmarks of Nightdesk, run by `Scripts/bench`; each speed is printed next to a baseline from the same run.
@main
struct NightdeskBench {
    static let usage = """
        usage: NightdeskBench store --dir DIR --topology FILE [--calls N] [--log-calls N] [--batch-calls N]
                                    [--queries N] [--seed N]
          --dir DIR         empty folder for the benchmark's databases
          --topology FILE   the catalogue, e.g. Topology/participants.toml (its gazetteers are loaded too)
          --calls N         calls to fill the search database to (default \(BenchLimits.fillCallsDefault))
          --log-calls N     calls logged one per transaction, each path (default \(BenchLimits.logCallsDefault))
          --batch-calls N   calls imported in batches of \(BenchLimits.batchSize), each path \
        (default \(BenchLimits.batchCallsDefault))
          --queries N       timed searches (default \(BenchLimits.searchQueriesDefault))
          --seed N          seed of the generated calls and searches (default 1)
               NightdeskBench replication --dir DIR --topology FILE [--local-calls N] [--apply-calls N]
                                          [--merge-calls N] [--seed N]
               NightdeskBench rota --topology FILE [--rotas N] [--overrides N] [--lookups N] [--seed N]
          --rotas N         rotas generated over the catalogue's Service Options (default 500)
          --overrides N     overrides spread over them (default 7500)
          --lookups N       timed "who is on call" lookups (default 200000)
               NightdeskBench mesh --dir DIR --topology FILE [--calls N] [--live-calls N]
                                   [--live-calls-per-second N] [--round-trips N] [--seed N]
          --calls N                    calls in WST's backlog, one change set each, for the catch-up, up to \
        \(BenchLimits.meshCallsMax) (default \(BenchLimits.meshCallsDefault))
          --live-calls N               calls logged at WST while propagation is timed \
        (default \(BenchLimits.liveCallsDefault))
          --live-calls-per-second N    their rate, 1 to \(BenchLimits.liveCallsPerSecondMax) \
        (default \(BenchLimits.liveCallsPerSecondDefault))
          --round-trips N              timed round trips of the baseline's 1 KiB frame \
        (default \(BenchLimits.roundTripsDefault))
               NightdeskBench timers --dir DIR --topology FILE --rotas DIR [--sessions N] [--referrals N] [--passes N]
                                     [--due N] [--window-s N] [--seed N]
          --rotas DIR       the sample contacts, rota and procedure (Topology/rotas)
          --sessions N      open lone-worker sessions (default 10000)
          --referrals N     open referrals (default 10000)
          --passes N        timed evaluation passes with nothing due (default 20)
          --due N           sessions, and referrals, falling due during the timed loop (default 200, at most 5000)
          --window-s N      the seconds over which they fall due (default 20, at most 300)
        """

    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            switch arguments.first {
            case "replication":
                let options: ReplicationBench.Options
                do {
                    options = try ReplicationBench.Options(arguments: arguments)
                } catch {
                    fail("\(error)\n\(usage)", status: 64)
                }
                try ReplicationBench(options: options).run()
            case "rota":
                let options: RotaBench.Options
                do {
                    options = try RotaBench.Options(arguments: arguments)
                } catch {
                    fail("\(error)\n\(usage)", status: 64)
                }
                try RotaBench(options: options).run()
            case "timers":
                let options: TimerBench.Options
                do {
                    options = try TimerBench.Options(arguments: arguments)
                } catch {
                    fail("\(error)\n\(usage)", status: 64)
                }
                try TimerBench(options: options).run()
            case "mesh":
                let options: MeshBench.Options
                do {
                    options = try MeshBench.Options(arguments: arguments)
                } catch {
                    fail("\(error)\n\(usage)", status: 64)
                }
                try await MeshBench(options: options).run()
            default:
                let options: StoreBench.Options
                do {
                    options = try StoreBench.Options(arguments: arguments)
                } catch {
                    fail("\(error)\n\(usage)", status: 64)
                }
                try StoreBench(options: options).run()
            }
        } catch {
            fail("\(error)", status: 1)
        }
    }

    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("NightdeskBench: \(message)\n".utf8))
        exit(status)
    }
}

/// The benchmarks' shared flag reading: `--flag value` pairs, counts within `BenchLimits.callsMax`, seeds.
enum BenchFlags {
    static func pairs(_ arguments: ArraySlice<String>) throws -> [(String, String)] {
        var rest = arguments
        var pairs: [(String, String)] = []
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            pairs.append((flag, value))
        }
        return pairs
    }

    static func count(_ flag: String, _ text: String) throws -> Int {
        guard let value = Int(text), (1...BenchLimits.callsMax).contains(value) else {
            throw UsageError(description: "\(flag) takes a whole number from 1 to \(BenchLimits.callsMax), not '\(text)'")
        }
        return value
    }

    static func seed(_ text: String) throws -> UInt64 {
        guard let value = UInt64(text) else { throw UsageError(description: "--seed takes a whole number, not '\(text)'") }
        return value
    }
}

/// A command line the benchmark cannot run.
struct UsageError: Error, CustomStringConvertible {
    let description: String
}

extension StoreBench {
    /// What to run, from the command line.
    struct Options {
        var directory = ""
        var topology = ""
        var fillCalls = BenchLimits.fillCallsDefault
        var logCalls = BenchLimits.logCallsDefault
        var batchCalls = BenchLimits.batchCallsDefault
        var queries = BenchLimits.searchQueriesDefault
        var seed: UInt64 = 1

        init(arguments: [String]) throws {
            guard arguments.first == "store" else {
                throw UsageError(description: "expected the benchmark's name, store, replication, rota, mesh or timers, first")
            }
            for (flag, value) in try BenchFlags.pairs(arguments.dropFirst()) {
                switch flag {
                case "--dir": directory = value
                case "--topology": topology = value
                case "--calls": fillCalls = try BenchFlags.count(flag, value)
                case "--log-calls": logCalls = try BenchFlags.count(flag, value)
                case "--batch-calls": batchCalls = try BenchFlags.count(flag, value)
                case "--queries": queries = try BenchFlags.count(flag, value)
                case "--seed": seed = try BenchFlags.seed(value)
                default: throw UsageError(description: "unknown option \(flag)")
                }
            }
            guard !directory.isEmpty, !topology.isEmpty else {
                throw UsageError(description: "give --dir and --topology")
            }
        }
    }
}
