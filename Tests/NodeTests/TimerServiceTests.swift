import Domain
import Testing

@testable import Node

@Suite struct TimerServiceTests {
    @Test func aRedAlertSMSFitsOneMessageShorteningTheLocationAndKeepingTheReference() {
        let short = TimerEvaluator.redSMS(
            officer: "Jo Smith", phone: "07700 900123", location: "12 Heron Walk", why: "DURESS",
            reference: "WST-222-223Z")
        #expect(short == "RED lone worker (DURESS): Jo Smith, 07700 900123, at 12 Heron Walk. Ref WST-222-223Z")
        let long = TimerEvaluator.redSMS(
            officer: "Jo Smith", phone: "07700 900123", location: String(repeating: "Flat 3, Long Terrace ", count: 12),
            why: "no check-out", reference: "WST-222-223Z")
        #expect(ReferralMessage.septets(long) <= DomainLimits.smsSeptetsMax)
        #expect(long.hasSuffix("Ref WST-222-223Z") && long.contains("Jo Smith, 07700 900123, at Flat 3"))
    }
}
