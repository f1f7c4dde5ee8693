import Testing
@testable import SignalProtocol

/// `InlineText`: the text packets carry without a reference, exact at every length.
@Suite struct InlineTextTests {
    @Test(arguments: ["", "a", "loc", "8charsAB", "exactly15bytes!", "sixteen-bytes-xx", "a much longer channel label, 40 bytes..",
                      "ünïcødé", "日本語のラベル", "with\u{0}nul", "+/AZaz09"])
    func givesTheTextBackExactly(text: String) {
        let t = InlineText(text)
        #expect(t.string == text)
        #expect(t == InlineText(text))
        #expect(t.isEmpty == text.isEmpty)
    }

    @Test func equalOnlyForEqualTexts() {
        let texts = ["", "a", "a\u{0}", "ab", "ba", "exactly15bytes!", "exactly15bytes?", "sixteen-bytes-xx",
                     "sixteen-bytes-xy", "label-number-0001", "label-number-0002"]
        for (i, a) in texts.enumerated() {
            for (j, b) in texts.enumerated() {
                #expect((InlineText(a) == InlineText(b)) == (i == j), "\(a) vs \(b)")
            }
        }
    }

    @Test func holdsNoReference() {
        // Packets carrying it are plain bytes: the point of the type.
        #expect(_isPOD(InlineText.self))
        #expect(_isPOD(STUNMessage.self))
        #expect(_isPOD(DTLSFlight.self))
        #expect(_isPOD(RelayedPacket.self) == _isPOD(SCTPPacket.self))
    }

    @Test func aLongLabelCrossesDCEPIntact() {
        let label = "a data channel label longer than fifteen bytes"
        let content = SCTPData.Content.dcepOpen(label: InlineText(label))
        guard case .dcepOpen(let carried) = content else { Issue.record("not a DCEP open"); return }
        #expect(carried.string == label)
    }
}
