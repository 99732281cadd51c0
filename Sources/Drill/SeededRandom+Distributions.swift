import Domain
import Foundation

extension SeededRandom {
    /// Uniform in [0, 1).
    mutating func unit() -> Double {
        // 53 random bits: every value is a multiple of 2^-53, so the result is the same on every platform.
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Exponentially distributed with the given mean.
    mutating func exponential(meanSeconds: Double) -> Double {
        -meanSeconds * log(1 - unit())
    }

    /// Standard normal (Box–Muller, one of the pair).
    mutating func standardNormal() -> Double {
        let u1 = 1 - unit()  // (0, 1]: log is finite
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
