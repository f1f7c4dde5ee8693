import Testing
@testable import SignalProtocol

private func parseError(_ s: String, limits: JSONParserLimits = .init()) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(s, limits: limits)
        return nil
    } catch {
        return error
    }
}

private func parseError(bytes: [UInt8], limits: JSONParserLimits = .init()) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

@Suite struct JSONParserTests {
    @Test func scalarsAtTopLevel() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse(" true ") == .bool(true))
        #expect(try JSONParser.parse("\tfalse\n") == .bool(false))
        #expect(try JSONParser.parse("\"hi\"") == .string("hi"))
        #expect(try JSONParser.parse("-12.5e3") == .number(JSONNumber(validatedText: "-12.5e3")))
        #expect(try JSONParser.parse("[]") == .array([]))
        #expect(try JSONParser.parse("{}") == .object(JSONObject()))
    }

    @Test func nestedDocument() throws {
        let v = try JSONParser.parse(#"{"a": [1, {"b": null}, "x"], "c": {"d": true}, "e": []}"#)
        #expect(v["a"]?.arrayValue?.count == 3)
        #expect(v["a"]?.arrayValue?[1]["b"] == .null)
        #expect(v["c"]?["d"]?.boolValue == true)
        #expect(v.objectValue?.keys == ["a", "c", "e"])
        #expect(v["zzz"] == nil)
        #expect(v.typeName == "object")
    }

    @Test func roundTrips() throws {
        let docs = [
            #"{"z":1,"a":[true,false,null],"m":{"x":"y","n":-0.5e-3}}"#,
            #"[1,2,3,[4,[5,[6]]],{}]"#,
            #""\"\\\n\r\t\b\f\u0001\u001f é 😀""#,
            #"18446744073709551616"#,
            #"[-0,0,1E+2,1e-2,123456789012345678901234567890]"#,
        ]
        for d in docs {
            let v = try JSONParser.parse(d)
            let w = JSONWriter.write(v)
            #expect(w == d)
            #expect(try JSONParser.parse(w) == v)
        }
    }

    @Test func keyOrderIsPreserved() throws {
        let v = try JSONParser.parse(#"{"b":1,"a":2,"c":3}"#)
        #expect(v.objectValue?.keys == ["b", "a", "c"])
        #expect(JSONWriter.write(v) == #"{"b":1,"a":2,"c":3}"#)
    }

    @Test func objectSubscriptSet() {
        var o = JSONObject()
        o["b"] = 1
        o["a"] = "x"
        o["b"] = true
        #expect(o.keys == ["b", "a"])
        #expect(o["b"] == .bool(true))
        o["b"] = nil
        #expect(o.keys == ["a"])
        #expect(JSONObject([(key: "a", value: 1), (key: "b", value: 2)]) != JSONObject([(key: "b", value: 2), (key: "a", value: 1)]))
    }

    @Test func writerEscapes() {
        #expect(JSONWriter.quote("a\"b\\c\n\r\t\u{08}\u{0C}\u{00}\u{1F}é/") == "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001fé/\"")
        #expect(JSONWriter.write(["k": [1, "two", nil, false, 2.5]]) == #"{"k":[1,"two",null,false,2.5]}"#)
    }

    @Test func numbers() throws {
        let i = try JSONParser.parse("-9223372036854775808").numberValue!
        #expect(i.int64 == Int64.min)
        #expect(i.uint64 == nil)
        #expect(i.isInteger)
        let maxI = try JSONParser.parse("9223372036854775807").numberValue!
        #expect(maxI.int64 == Int64.max)
        let beyond = try JSONParser.parse("9223372036854775808").numberValue!
        #expect(beyond.int64 == nil)
        #expect(beyond.uint64 == 9223372036854775808)
        let maxU = try JSONParser.parse("18446744073709551615").numberValue!
        #expect(maxU.uint64 == UInt64.max)
        let two64 = try JSONParser.parse("18446744073709551616").numberValue!
        #expect(two64.int64 == nil)
        #expect(two64.uint64 == nil)
        #expect(two64.text == "18446744073709551616")
        #expect(two64.double == 18446744073709551616.0)
        let below = try JSONParser.parse("-9223372036854775809").numberValue!
        #expect(below.int64 == nil)
        let exp = try JSONParser.parse("1e3").numberValue!
        #expect(!exp.isInteger)
        #expect(exp.int64 == nil)
        #expect(exp.double == 1000)
        let frac = try JSONParser.parse("5.0").numberValue!
        #expect(frac.int64 == nil)
        #expect(frac.double == 5)
        #expect(try JSONParser.parse("-0").numberValue?.uint64 == 0)
        #expect(try JSONParser.parse("-5").numberValue?.uint64 == nil)
        #expect(try JSONParser.parse("1e400").numberValue?.double == .infinity)
    }

    @Test func numberInits() {
        #expect(JSONNumber(Int64(-5)).text == "-5")
        #expect(JSONNumber(UInt64.max).text == "18446744073709551615")
        #expect(JSONNumber(0.1)?.text == "0.1")
        #expect(JSONNumber(3.0)?.text == "3")
        #expect(JSONNumber(-0.0)?.text == "-0")
        #expect(JSONNumber(text: "1.5e3")?.double == 1500)
        #expect(JSONNumber(text: "01") == nil)
        #expect(JSONNumber(text: " 1") == nil)
        #expect(JSONNumber(text: "\"1\"") == nil)
        #expect(JSONNumber(1e-5)?.double == 1e-5)
        #expect(JSONNumber(1.5e300)?.double == 1.5e300)
        for d in [0.1, 1.0 / 3.0, 1e-5, 1e20, 123456.789, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, -2.5] {
            guard let n = JSONNumber(d) else { Issue.record("\(d)"); continue }
            #expect(n.double == d)
            // The text is valid JSON.
            #expect((try? JSONParser.parse(n.text)) == .number(n))
        }
    }

    /// NaN and infinity are refused (nil, `null` in a `JSONValue`) instead of trapping; every
    /// integral double prints as an integer, at any magnitude (QA finding 12).
    @Test func doublesJSONCannotWriteAndLargeIntegers() {
        for d in [Double.nan, .infinity, -.infinity] {
            #expect(JSONNumber(d) == nil)
            #expect(JSONValue(d) == .null)
            #expect(JSONNumber.literal(d) == "null")
        }
        let inf: JSONValue = 1e400
        #expect(inf == .null)
        #expect(JSONNumber(1e15)?.text == "1000000000000000")
        #expect(JSONNumber(999999999999999.0)?.text == "999999999999999")
        #expect(JSONNumber(-1e16)?.text == "-10000000000000000")
        #expect(JSONNumber(9.2e18)?.text == "9200000000000000000")
        #expect(JSONNumber(9.3e18)?.text == "9300000000000000000")
        #expect(JSONNumber(Double(UInt64.max))?.text == "18446744073709551616")
        #expect(JSONNumber(1e20)?.uint64 == nil && JSONNumber(1e20)?.text == "100000000000000000000")
        #expect(JSONNumber(2e15)?.int64 == 2_000_000_000_000_000)
        let big = JSONNumber(Double.greatestFiniteMagnitude)!
        #expect(big.isInteger && big.text.count == 309 && big.double == .greatestFiniteMagnitude)
        #expect(big.text.hasPrefix("17976931348623157"))
        #expect(JSONNumber(1.5)?.isInteger == false)
    }

    @Test func unicodeEscapes() throws {
        #expect(try JSONParser.parse(#""\u0041\u00e9\u4E2D""#) == .string("Aé中"))
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONParser.parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try JSONParser.parse(#""\/""#) == .string("/"))
        #expect(try JSONParser.parse("\"é😀\"") == .string("é😀"))
        #expect(parseError(#""\ud83d""#)?.message == #"invalid \u escape: high surrogate \uD83D not followed by a low surrogate"#)
        #expect(parseError(#""\ud83d\u0041""#)?.message == #"invalid \u escape: high surrogate \uD83D not followed by a low surrogate"#)
        #expect(parseError(#""\ude00""#)?.message == #"invalid \u escape: lone low surrogate \uDE00"#)
        #expect(parseError(#""\u12G4""#)?.message == #"invalid \u escape: expected 4 hexadecimal digits"#)
        #expect(parseError(#""\u12"#)?.message == #"invalid \u escape: expected 4 hexadecimal digits"#)
    }

    @Test func byteOrderMarkIsIgnored() throws {
        #expect(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == .array([1]))
    }

    @Test func errorKinds() {
        let cases: [(String, String)] = [
            ("", "empty input"),
            ("  \n ", "empty input"),
            ("[1,]", "trailing comma in array"),
            (#"{"a":1,}"#, "trailing comma in object"),
            ("[1 2]", "expected ',' or ']' after array element"),
            (#"{"a":1 "b":2}"#, "expected ',' or '}' after object member"),
            (#"{"a" 1}"#, "expected ':' after object key"),
            ("{a:1}", "expected a string key in double quotes, got 'a'"),
            (#"{"a":1,"a":2}"#, #"duplicate key "a""#),
            ("[1] // c", "unexpected '/' after the top-level value"),
            ("/* c */ 1", "comments are not allowed in JSON"),
            ("NaN", "NaN and Infinity are not valid JSON numbers"),
            ("-Infinity", "NaN and Infinity are not valid JSON numbers"),
            ("[Infinity]", "NaN and Infinity are not valid JSON numbers"),
            ("01", "leading zeros are not allowed in numbers"),
            ("-01", "leading zeros are not allowed in numbers"),
            ("-", "expected a digit after '-'"),
            ("1.", "expected a digit after '.' in number"),
            (".5", "unexpected '.', expected a value"),
            ("1e", "expected a digit in number exponent"),
            ("1e+", "expected a digit in number exponent"),
            ("+1", "unexpected '+', expected a value"),
            ("tru", "invalid literal, expected 'true'"),
            ("truex", "invalid literal, expected 'true'"),
            ("nul", "invalid literal, expected 'null'"),
            ("True", "unexpected 'T', expected a value"),
            ("1 2", "unexpected '2' after the top-level value"),
            ("{} {}", "unexpected '{' after the top-level value"),
            ("\"abc", "unterminated string"),
            ("\"a\nb\"", "unescaped control character U+000A in string"),
            (#""\x""#, #"invalid escape '\x' in string"#),
            ("'a'", "strings must use double quotes"),
            ("[", "unexpected end of input, expected a value"),
            ("[1", "unexpected end of input, expected ',' or ']' after array element"),
            ("{", "unexpected end of input, expected a string key"),
            (#"{"a":"#, "unexpected end of input, expected a value"),
            (#"{"a":1"#, "unexpected end of input, expected ',' or '}' after object member"),
            ("]", "expected a value, got ']'"),
            ("[,1]", "expected a value, got ','"),
        ]
        for (input, message) in cases {
            let e = parseError(input)
            #expect(e?.message == message, "input: \(input)")
        }
    }

    @Test func duplicateKeysInLargeObjects() {
        for n in [2, 15, 16, 17, 40] {
            let members = (0..<n).map { "\"k\($0)\":\($0)" }
            #expect((try? JSONParser.parse("{" + members.joined(separator: ",") + "}"))?.objectValue?.count == n)
            for dup in [0, n / 2, n - 1] {
                let doc = "{" + (members + ["\"k\(dup)\":0"]).joined(separator: ",") + "}"
                #expect(parseError(doc)?.message == "duplicate key \"k\(dup)\"", "n=\(n) dup=\(dup)")
            }
        }
    }

    @Test func errorPositions() {
        let e = parseError("{\n  \"a\": 1,\n  \"b\" 2\n}")
        #expect(e == JSONParseError(message: "expected ':' after object key", offset: 18, line: 3, column: 7))
        #expect(e?.description == "line 3, column 7: expected ':' after object key")
        // Columns count scalars, not bytes.
        let u = parseError("[\"é\" 1]")
        #expect(u?.line == 1)
        #expect(u?.column == 6)
        #expect(parseError("")?.description == "line 1, column 1: empty input")
    }

    @Test func invalidUTF8() {
        #expect(parseError(bytes: [0x22, 0xFF, 0x22])?.message == "invalid UTF-8 byte 0xFF")
        // Overlong encoding of '/'.
        #expect(parseError(bytes: [0x22, 0xC0, 0xAF, 0x22])?.message == "invalid UTF-8 byte 0xC0")
        // Encoded surrogate U+D800.
        #expect(parseError(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22])?.message == "invalid UTF-8 byte 0xED")
        // Truncated sequence.
        #expect(parseError(bytes: [0x22, 0xE4, 0xB8, 0x22])?.message == "invalid UTF-8 byte 0xE4")
        // Beyond U+10FFFF.
        #expect(parseError(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22])?.message == "invalid UTF-8 byte 0xF4")
        // Outside strings.
        #expect(parseError(bytes: [0xFF])?.message == "unexpected invalid UTF-8 byte 0xFF, expected a value")
        #expect(parseError(bytes: [0x5B, 0x31, 0x5D, 0x00])?.message == "unexpected character U+0000 after the top-level value")
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(parseError(deep)?.message == "nesting deeper than 128 levels")
        let deepObj = String(repeating: "{\"a\":", count: 100_000)
        #expect(parseError(deepObj)?.message == "nesting deeper than 128 levels")
        // Exactly at the limit is fine.
        let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect((try? JSONParser.parse(ok)) != nil)
        let over = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        #expect(parseError(over)?.offset == 128)
        #expect(parseError("[[1]]", limits: JSONParserLimits(maxDepth: 1))?.message == "nesting deeper than 1 levels")
    }

    @Test func sizeLimits() {
        #expect(parseError("[1, 2, 3]", limits: JSONParserLimits(maxBytes: 4))?.message == "input is larger than 4 bytes")
        #expect(parseError(#"["abcdef"]"#, limits: JSONParserLimits(maxStringBytes: 5))?.message == "string longer than 5 bytes")
        #expect(parseError(#"{"abcdef": 1}"#, limits: JSONParserLimits(maxStringBytes: 5))?.message == "string longer than 5 bytes")
        #expect((try? JSONParser.parse(#"["abcde"]"#, limits: JSONParserLimits(maxStringBytes: 5))) != nil)
    }

    @Test func largeDocument() throws {
        var s = "["
        for i in 0..<50_000 {
            if i > 0 { s += "," }
            s += #"{"id":"p\#(i)","n":\#(i),"f":1.5,"ok":true}"#
        }
        s += "]"
        let v = try JSONParser.parse(s)
        #expect(v.arrayValue?.count == 50_000)
        #expect(v.arrayValue?[49_999]["id"] == "p49999")
        #expect(JSONWriter.write(v) == s)
    }

    @Test func neverTrapsOnMutatedInputs() {
        // Truncations and single-byte mutations of a valid document: every one parses or throws.
        let base = Array(#"{"a":[1,-2.5e3,"x\u00e9\ud83d\ude00",true,null,{"b":false}],"c":"d"}"#.utf8)
        let replacements: [UInt8] = [0x00, 0x22, 0x5C, 0x5B, 0x5D, 0x7B, 0x7D, 0x2C, 0x3A, 0x30, 0x2D, 0x65, 0x80, 0xFF]
        for cut in 0...base.count {
            _ = try? JSONParser.parse(Array(base[0..<cut]))
        }
        for i in base.indices {
            for r in replacements {
                var m = base
                m[i] = r
                _ = try? JSONParser.parse(m)
            }
        }
    }
}

/// JSON allows U+0085, U+2028 and the bidi overrides raw; MeshSim's JSON escapes them, so a
/// JSON Lines reader that splits on them (Python's `splitlines`) still sees one line, and a
/// terminal shows the text as written (QA, session 14).
@Suite struct JSONWriterEscapeTests {
    @Test func lineBreakersAndBidiAreEscaped() throws {
        let s = "a\u{2028}b\u{0085}c\u{001C}d\u{202E}e\u{7F}f\u{2066}g\u{061C}h"
        let text = JSONWriter.quote(s)
        #expect(text == #""a\u2028b\u0085c\u001cd\u202ee\u007ff\u2066g\u061ch""#)
        #expect(try JSONParser.parse(text) == .string(s))
        // Other non-ASCII text is written as it is.
        #expect(JSONWriter.quote("Zoë — ok ✓") == "\"Zoë — ok ✓\"")
    }
}
