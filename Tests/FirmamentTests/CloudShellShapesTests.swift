import Foundation
import Testing
@testable import FirmBase
@testable import FirmProcess

/// How firm reads the parts of CloudShell answers that shells fill in their own ways.
@Suite("CloudShell answer shapes")
struct CloudShellShapesTests {
    @Test("a ConnectToSubnet interface is kept as it is, or, as cp-aws returns a JSON object, its interface id")
    func interfaceName() {
        let aws = #"{"interface_id": "eni-0a1b", "IP": "10.1.1.4", "Public IP": "", "Elastic IP": false, "MAC Address": "0e:1f", "Device Index": 0}"#
        #expect(CloudShellShapes.interfaceName(aws) == "eni-0a1b")
        #expect(CloudShellShapes.interfaceName("eth0") == "eth0")
        #expect(CloudShellShapes.interfaceName("") == "")
        #expect(CloudShellShapes.interfaceName(#"{"IP": "10.1.1.4"}"#) == #"{"IP": "10.1.1.4"}"#, "no id in it: kept as it is")
        #expect(CloudShellShapes.interfaceName("{not json") == "{not json")
        #expect(CloudShellShapes.interfaceName(#"{"interface_id": 7}"#) == #"{"interface_id": 7}"#, "an id that is not a string is not taken")
    }
}
