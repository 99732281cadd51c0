import CSodium
import Foundation

/// Failures of the Sodium module, each saying what was wrong and what to do.
///
/// Messages never contain key material: bad input is described by its length or position, not echoed.
public enum SodiumError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A libsodium function returned a failure code where its documentation allows one only for bad input.
    case libraryCallFailed(function: String, code: Int32)
    /// A key, signature, digest or nonce had the wrong number of bytes.
    case invalidLength(what: String, expectedBytes: Int, foundBytes: Int)
    /// A plaintext or associated data was larger than a seal accepts.
    case tooLarge(what: String, bytes: Int, maxBytes: Int)
    /// A sealed box could not be opened: wrong key, tampered ciphertext, or tampered associated data.
    case openFailed
    /// Text that should be Z85 (ZeroMQ RFC 32) was not.
    case invalidZ85(reason: String)
    /// Text that should be base64 was not.
    case invalidBase64(what: String)

    /// A key file exists where a new key was to be written.
    case keyFileExists(path: String)
    /// A key file lets users other than its owner read or write it.
    case keyFilePermissionsTooOpen(path: String, mode: UInt32)
    /// A key file holds a different kind of key from the one asked for.
    case keyFileWrongType(path: String, expected: String, found: String)
    /// A key file is not in the `nightdesk-key v1` format.
    case keyFileMalformed(path: String, reason: String)
    /// The operating system refused an operation on a key file.
    case keyFileSystemCall(path: String, operation: String, errno: Int32)

    /// An origin is empty or longer than `SodiumLimits.chainOriginBytesMax` UTF-8 bytes.
    case chainOriginInvalid(origin: String)
    /// A checkpoint was offered for a different origin's chain.
    case checkpointOriginMismatch(expected: String, found: String)
    /// A checkpoint's sequence is not the one the offered run of change sets ends at.
    case checkpointSequenceMismatch(origin: String, runEndsAt: UInt64, checkpointAt: UInt64)
    /// More change sets were offered against one checkpoint than `SodiumLimits.chainRunSetsMax`.
    case chainRunTooLong(origin: String, sets: Int, maxSets: Int)
    /// A checkpoint's signature does not verify with the origin's public key.
    case checkpointSignatureInvalid(origin: String, sequence: UInt64)
    /// The change sets do not hash to the link a valid checkpoint signs.
    case chainLinkMismatch(origin: String, firstSequence: UInt64, lastSequence: UInt64)

    public var description: String {
        switch self {
        case .libraryCallFailed(let function, let code):
            "libsodium's \(function) failed (returned \(code)); the input was outside what it accepts"
        case .invalidLength(let what, let expected, let found):
            "\(what) must be \(expected) bytes, not \(found); check that the right value was given"
        case .tooLarge(let what, let bytes, let maxBytes):
            "\(what) is \(bytes) bytes, more than the \(maxBytes) bytes allowed; make it smaller"
        case .openFailed:
            "the sealed box could not be opened: the key is wrong, or the box or its associated data was altered"
        case .invalidZ85(let reason):
            "not valid Z85 text: \(reason); give the key exactly as printed (40 characters for a CURVE key)"
        case .invalidBase64(let what):
            "\(what) is not valid base64; give it exactly as printed"
        case .keyFileExists(let path):
            "the key file \(path) already exists; pass --force to replace it (the key it holds will be lost)"
        case .keyFilePermissionsTooOpen(let path, let mode):
            "the key file \(path) has mode \(String(mode & 0o7777, radix: 8)), which lets other users read or "
                + "change it; run `chmod 600 \(path)` and retry (and consider the key exposed if others could read it)"
        case .keyFileWrongType(let path, let expected, let found):
            "the key file \(path) holds a \(found) key, but a \(expected) key is needed here; give the right file"
        case .keyFileMalformed(let path, let reason):
            "the key file \(path) is not a Nightdesk key file (\(reason)); give a key file written by Nightdesk"
        case .keyFileSystemCall(let path, let operation, let errno):
            "could not \(operation) the key file \(path): \(String(cString: strerror(errno)))"
        case .chainOriginInvalid(let origin):
            "origin '\(origin)' must be 1 to \(SodiumLimits.chainOriginBytesMax) bytes of UTF-8"
        case .checkpointOriginMismatch(let expected, let found):
            "a checkpoint for origin \(found) was offered for origin \(expected)'s change sets; refused"
        case .checkpointSequenceMismatch(let origin, let runEndsAt, let checkpointAt):
            "origin \(origin)'s change sets end at sequence \(runEndsAt) but the checkpoint is at \(checkpointAt): "
                + "a change set is missing or extra; re-request them"
        case .chainRunTooLong(let origin, let sets, let maxSets):
            "\(sets) change sets of origin \(origin) were offered against one checkpoint, more than \(maxSets); "
                + "verify them against the checkpoints in between"
        case .checkpointSignatureInvalid(let origin, let sequence):
            "the checkpoint of origin \(origin) at sequence \(sequence) is not signed by that origin's key; "
                + "refused as forged (check the topology's public key for \(origin) if this repeats)"
        case .chainLinkMismatch(let origin, let first, let last):
            "origin \(origin)'s change sets \(first)...\(last) do not match their signed checkpoint: one was "
                + "altered, reordered, left out or added; refused, re-request them"
        }
    }
}

/// Turns a libsodium return code into a typed error: 0 is success, anything else throws.
///
/// The one place return codes are read (the model of NIO's `syscall(blocking:where:_:)`); `failure`
/// names the error a caller expects, such as `.openFailed` for an authentication failure.
@inline(__always)
func check(_ code: Int32, _ function: StaticString, failure: SodiumError? = nil) throws(SodiumError) {
    guard code == 0 else {
        throw failure ?? .libraryCallFailed(function: "\(function)", code: code)
    }
}

/// Runs libsodium work that cannot fail for inputs this module has already checked, and stops if it does.
///
/// Used where libsodium documents failure only for out-of-range lengths that the types here rule out;
/// a failure then is a broken invariant, not bad input.
@inline(__always)
func mustSucceed<Result>(_ body: () throws(SodiumError) -> Result) -> Result {
    do {
        return try body()
    } catch {
        preconditionFailure("libsodium failed on input it accepts: \(error)")
    }
}
