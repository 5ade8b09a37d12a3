import Testing
@testable import FirmGraph

@Suite("Graph labels: whatever a name holds, it stays one label")
struct GraphFormatTests {
    @Test("DOT strings escape quotes and backslashes, keep line breaks as \\n, and drop control characters",
          arguments: [("web", "\"web\""), ("a\"b", "\"a\\\"b\""), ("c:\\d", "\"c:\\\\d\""), ("one\ntwo", "\"one\\ntwo\""), ("bell\u{7}", "\"bell\""),
                      ("é → ü", "\"é → ü\""), ("\"];x[\"", "\"\\\"];x[\\\"\"")])
    func dot(_ input: String, _ expected: String) {
        #expect(GraphFormat.dotString(input) == expected)
    }

    @Test("Mermaid labels write what would end a label as entity codes", arguments: [
        ("web", "[\"web\"]"), ("a\"]b", "[\"a#quot;#93;b\"]"), ("x|y", "[\"x#124;y\"]"), ("<script>", "[\"#lt;script#gt;\"]"), ("one\ntwo", "[\"one<br>two\"]"),
    ])
    func mermaid(_ input: String, _ expected: String) {
        #expect(GraphFormat.mermaidLabel(input) == expected)
        #expect(GraphFormat.mermaidLabel(input, rounded: true) == "(" + expected + ")")
    }
}
