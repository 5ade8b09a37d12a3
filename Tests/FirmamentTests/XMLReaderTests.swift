import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament
import FirmTestSupport

#if canImport(FoundationXML)
    import FoundationXML
#endif


/// XMLReader replaced Foundation's XMLParser for EC2's answers. These hold it to XML 1.0's
/// well-formedness and, where the test machine has FoundationXML, to XMLParser's trees.
@Suite("XML: the EC2 answers' reader")
struct XMLReaderTests {
    static let describe = """
        <?xml version="1.0" encoding="UTF-8"?>
        <DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
            <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
            <reservationSet>
                <item>
                    <reservationId>r-1234567890abcdef0</reservationId>
                    <instancesSet>
                        <item>
                            <instanceId>i-1234567890abcdef0</instanceId>
                            <instanceState><code>16</code><name>running</name></instanceState>
                            <privateIpAddress>10.0.0.12</privateIpAddress>
                            <ipAddress/>
                            <tagSet>
                                <item><key>Name</key><value>web &amp; db &lt;1&gt; &#233;&#x1F600; &quot;q&quot; &apos;a&apos;</value></item>
                                <item><key>firm:sandbox</key><value><![CDATA[lab <raw> & more]]></value></item>
                            </tagSet>
                        </item>
                    </instancesSet>
                </item>
            </reservationSet>
            <!-- a comment -->
            <nextToken />
        </DescribeInstancesResponse>
        """
    static let error = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-1' does not exist</Message></Error></Errors><RequestID>ea966190</RequestID></Response>
        """

    static func parse(_ text: String) -> XMLTree? { XMLTree.parse(Data(text.utf8)) }

    @Test("an EC2 answer reads to its tree: local names, text with entities and CDATA, empty elements, lists of items")
    func answer() throws {
        let tree = try #require(Self.parse(Self.describe))
        #expect(tree.name == "DescribeInstancesResponse")
        #expect(tree.value("requestId") == "8f7724cf-496f-496e-8fe3-example")
        let instance = try #require(tree.items("reservationSet").first?.items("instancesSet").first)
        #expect(instance.value("instanceState", "name") == "running")
        #expect(instance.value("ipAddress") == "")
        #expect(instance.items("tagSet").map { $0.value("value") } == ["web & db <1> é😀 \"q\" 'a'", "lab <raw> & more"])
        #expect(tree.value("nextToken") == "")
        // A parent's text is trimmed; a leaf's is kept as it is.
        #expect(tree.text == "")
        #expect(Self.parse("<a>  x  </a>")?.text == "  x  ")
        #expect(Self.parse("<p:a xmlns:p=\"u\"><p:b>1</p:b></p:a>") == XMLTree(name: "a", children: [XMLTree(name: "b", text: "1")]))
        #expect(Self.parse("<a>1\r\n2\r3</a>")?.text == "1\n2\n3", "line ends are read as \\n")
        #expect(Self.parse("\u{FEFF}<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n<?pi data?><!-- c --><a b=\"&amp;\" c='2'/>\n") == XMLTree(name: "a"))
        let error = try #require(Self.parse(Self.error))
        #expect(error.value("Errors", "Error", "Code") == "InvalidInstanceID.NotFound")
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "empty", text: ""),
        Bad(name: "text only", text: "Service Unavailable"),
        Bad(name: "an HTML page", text: "<html><body><p>502 Bad Gateway<br></body></html>"),
        Bad(name: "an unclosed element", text: "<a><b></b>"),
        Bad(name: "a mismatched end tag", text: "<a></b>"),
        Bad(name: "two roots", text: "<a/><b/>"),
        Bad(name: "text after the root", text: "<a/>x"),
        Bad(name: "an unknown entity", text: "<a>&nbsp;</a>"),
        Bad(name: "a bare ampersand", text: "<a>x & y</a>"),
        Bad(name: "a reference to no character", text: "<a>&#0;</a>"),
        Bad(name: "a reference past Unicode", text: "<a>&#x110000;</a>"),
        Bad(name: "a control character", text: "<a>\u{1}</a>"),
        Bad(name: "a document type", text: "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>"),
        Bad(name: "an XML declaration in the middle", text: "<a><?xml version=\"1.0\"?></a>"),
        Bad(name: "a declaration without its version", text: "<?xml encoding=\"UTF-8\"?><a/>"),
        Bad(name: "a declaration out of order", text: "<?xml encoding=\"UTF-8\" version=\"1.0\"?><a/>"),
        Bad(name: "a declaration of another encoding", text: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>"),
        Bad(name: "an unquoted attribute", text: "<a b=c/>"),
        Bad(name: "a repeated attribute", text: "<a b='1' b='2'/>"),
        Bad(name: "a < in an attribute", text: "<a b='<'/>"),
        Bad(name: "attributes without space", text: "<a b='1'c='2'/>"),
        Bad(name: "]]> in text", text: "<a>x]]>y</a>"),
        Bad(name: "an unterminated CDATA section", text: "<a><![CDATA[x</a>"),
        Bad(name: "-- in a comment", text: "<a><!-- x -- y --></a>"),
        Bad(name: "a name starting with a digit", text: "<1a/>"),
        Bad(name: "a name that is not a qualified name", text: "<:a/>"),
        Bad(name: "too deep", text: String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)),
    ]

    @Test("what is not well-formed XML is refused", arguments: bad)
    func refused(_ bad: Bad) {
        #expect(Self.parse(bad.text) == nil)
    }

    @Test("invalid UTF-8 is refused")
    func invalidUTF8() {
        #expect(XMLTree.parse(Data([0x3C, 0x61, 0x3E, 0xC3, 0x28, 0x3C, 0x2F, 0x61, 0x3E])) == nil)
    }

    #if canImport(FoundationXML)
        /// The tree Foundation's XMLParser gives, as XMLTree.parse made it before XMLReader.
        static func foundation(_ data: Data) -> XMLTree? {
            final class Builder: NSObject, XMLParserDelegate {
                var stack: [XMLTree] = []
                var root: XMLTree?
                func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                    stack.append(XMLTree(name: name))
                }
                func parser(_ parser: XMLParser, foundCharacters string: String) {
                    if !stack.isEmpty { stack[stack.count - 1].text += string }
                }
                func parser(_ parser: XMLParser, foundCDATA block: Data) {
                    if !stack.isEmpty { stack[stack.count - 1].text += String(decoding: block, as: UTF8.self) }
                }
                func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                    guard var done = stack.popLast() else { return }
                    if !done.children.isEmpty { done.text = done.text.trimmingCharacters(in: .whitespacesAndNewlines) }
                    if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
                }
            }
            let builder = Builder()
            let parser = XMLParser(data: data)
            parser.shouldProcessNamespaces = true
            parser.shouldResolveExternalEntities = false
            parser.delegate = builder
            return parser.parse() ? builder.root : nil
        }

        @Test("where XMLParser and XMLReader both read a document, on EC2 answers and their mutants, they read the same tree",
              arguments: [UInt64(11), 12, 18])
        func sameAsFoundation(seed: UInt64) {
            var random = SplitMix(seed: seed)
            var both = 0, onlyFoundation = 0, onlyOurs = 0
            for sample in [Self.describe, Self.error] {
                let bytes = Array(sample.utf8)
                #expect(XMLTree.parse(Data(bytes)) == Self.foundation(Data(bytes)))
                for _ in 0..<1500 {
                    let mutated = Mutator.mutate(bytes, &random)
                    // XMLParser traps (in _NSXMLParserStartElementNs) on a name that is not
                    // UTF-8, which XMLReader refuses before reading: it is not asked.
                    guard case .valid = mutated.withUnsafeBufferPointer({ UTF8Validation.scan($0) }) else {
                        #expect(XMLTree.parse(Data(mutated)) == nil)
                        continue
                    }
                    let mutant = Data(mutated)
                    let ours = XMLTree.parse(mutant), theirs = Self.foundation(mutant)
                    switch (ours, theirs) {
                    case (let a?, let b?):
                        both += 1
                        #expect(a == b, "\(String(decoding: mutant, as: UTF8.self))")
                    case (nil, _?): onlyFoundation += 1
                    case (_?, nil):
                        onlyOurs += 1
                        Issue.record("XMLReader read what XMLParser refuses: \(String(decoding: mutant, as: UTF8.self).debugDescription)")
                    case (nil, nil): break
                    }
                }
            }
            #expect(both > 200)
            // XMLReader accepts nothing that libxml2 refuses (each is recorded above); it refuses
            // some that libxml2 reads, such as a declared encoding other than UTF-8.
            #expect(onlyOurs == 0)
            _ = onlyFoundation
        }
    #endif
}
