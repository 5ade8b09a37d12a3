import FirmBase
import FirmModel

/// PrepareSandboxInfra and CleanupSandboxInfra on EC2, in CloudShell's AWS model. Everything is
/// tagged with the sandbox and found by its tags first, so a second call, or one after a
/// crash, adopts what exists instead of making another.
extension EC2Provider {
    var keyName: String { EC2Lookup.name(sandbox) }

    func tags(_ extra: [(String, String)] = []) -> [(String, String)] {
        [("Name", EC2Lookup.name(sandbox)), (EC2Tags.sandbox, sandbox)] + extra
    }

    func lookup(_ op: String) async throws -> EC2Lookup {
        EC2Lookup(client: try connection.client().client, sandbox: sandbox, operation: op)
    }

    public func prepareSandboxInfra(_ request: InfraRequest) async throws -> InfraResult {
        let op = "prepareSandboxInfra"
        defer { connection.forgetNetwork() }
        let vpc = try await vpc(cidr: request.cloudCIDR ?? settings.cidr.description, op)
        _ = try await securityGroup(vpc, op)
        let routes = request.subnets.contains(where: \.isPublic) ? try await publicRouteTable(vpc, op) : nil
        let zone = try await connection.availabilityZone(operation: op)
        var ids: [String: String] = [:]
        for subnet in request.subnets {
            ids[subnet.name] = try await self.subnet(subnet, vpc: vpc, zone: zone, routes: routes, op)
        }
        var keys: String?
        let existingKey = try await lookup(op).keyPair() != nil
        if request.createKeys && !(request.keysKnown && existingKey) {
            // A key pair's private key is shown once, at creation: one that exists without it
            // in the state (a crash after CreateKeyPair) is made again.
            _ = try await call("DeleteKeyPair", [("KeyName", keyName)], op)
            let created = try await call("CreateKeyPair", [("KeyName", keyName)] + EC2Tags.specification(1, "key-pair", tags()), op)
            guard let material = created.value("keyMaterial"), !material.isEmpty else {
                throw ProviderError(provider: name, operation: op, message: "CreateKeyPair answered no keyMaterial")
            }
            keys = material
        }
        return InfraResult(networkId: vpc, subnetIds: ids, keys: keys)
    }

    func vpc(cidr: String, _ op: String) async throws -> String {
        if let id = try await lookup(op).vpc() { return id }
        let created = try await call("CreateVpc", [("CidrBlock", cidr)] + EC2Tags.specification(1, "vpc", tags()), op)
        guard let id = created.value("vpc", "vpcId") else { throw ProviderError(provider: name, operation: op, message: "CreateVpc answered no vpcId") }
        return id
    }

    /// The sandbox's security group: its members may reach each other on every port.
    func securityGroup(_ vpc: String, _ op: String) async throws -> String {
        let groupName = EC2Lookup.name(sandbox)
        let id: String
        if let existing = try await lookup(op).securityGroup(vpc: vpc) {
            id = existing
        } else {
            let created = try await call("CreateSecurityGroup", [("GroupName", groupName), ("GroupDescription", "firm sandbox \(sandbox)"), ("VpcId", vpc)]
                                         + EC2Tags.specification(1, "security-group", tags()), op)
            guard let made = created.value("groupId") else { throw ProviderError(provider: name, operation: op, message: "CreateSecurityGroup answered no groupId") }
            id = made
        }
        do {
            _ = try await call("AuthorizeSecurityGroupIngress", [("GroupId", id), ("IpPermissions.1.IpProtocol", "-1"),
                                                                 ("IpPermissions.1.Groups.1.GroupId", id)], op)
        } catch let error as ProviderError where error.code == "InvalidPermission.Duplicate" {}
        return id
    }

    /// The internet gateway (attached) and the route table public subnets use.
    func publicRouteTable(_ vpc: String, _ op: String) async throws -> String {
        let gateways = try await call("DescribeInternetGateways", EC2Tags.filters([("tag:\(EC2Tags.sandbox)", sandbox)]), op)
        let ours = gateways.items("internetGatewaySet").first { EC2Tags.belongs($0, to: sandbox) }
        var gateway = ours?.value("internetGatewayId")
        if gateway == nil {
            let created = try await call("CreateInternetGateway", EC2Tags.specification(1, "internet-gateway", tags()), op)
            gateway = created.value("internetGateway", "internetGatewayId")
        }
        guard let gateway else { throw ProviderError(provider: name, operation: op, message: "CreateInternetGateway answered no internetGatewayId") }
        let attached = ours?.items("attachmentSet").contains { $0.value("vpcId") == vpc } ?? false
        if !attached {
            do {
                _ = try await call("AttachInternetGateway", [("InternetGatewayId", gateway), ("VpcId", vpc)], op)
            } catch let error as ProviderError where error.code == "Resource.AlreadyAssociated" {}
        }
        let tables = try await call("DescribeRouteTables", EC2Tags.filters([("vpc-id", vpc), ("tag:\(EC2Tags.network)", "public")]), op)
        if let id = tables.items("routeTableSet").first(where: { $0.value("vpcId") == vpc && EC2Tags.of($0)[EC2Tags.network] == "public" })?.value("routeTableId") {
            return id
        }
        let created = try await call("CreateRouteTable", [("VpcId", vpc)] + EC2Tags.specification(1, "route-table", tags([(EC2Tags.network, "public")])), op)
        guard let table = created.value("routeTable", "routeTableId") else {
            throw ProviderError(provider: name, operation: op, message: "CreateRouteTable answered no routeTableId")
        }
        do {
            _ = try await call("CreateRoute", [("RouteTableId", table), ("DestinationCidrBlock", "0.0.0.0/0"), ("GatewayId", gateway)], op)
        } catch let error as ProviderError where error.code == "RouteAlreadyExists" {}
        return table
    }

    /// The network's subnet: found by its tag and CIDR, or made (public: with public
    /// addresses on launch, and the internet route).
    func subnet(_ spec: SubnetSpec, vpc: String, zone: String, routes: String?, _ op: String) async throws -> String {
        let found = try await call("DescribeSubnets", EC2Tags.filters([("vpc-id", vpc), ("tag:\(EC2Tags.network)", spec.name), ("cidr-block", spec.cidr)]), op)
        if let id = found.items("subnetSet").first(where: {
            $0.value("vpcId") == vpc && $0.value("cidrBlock") == spec.cidr && EC2Tags.of($0)[EC2Tags.network] == spec.name
        })?.value("subnetId") {
            return id
        }
        let created = try await call("CreateSubnet", [("VpcId", vpc), ("CidrBlock", spec.cidr), ("AvailabilityZone", zone)]
                                     + EC2Tags.specification(1, "subnet", [("Name", "\(EC2Lookup.name(sandbox))-\(spec.name)"), (EC2Tags.sandbox, sandbox), (EC2Tags.network, spec.name)]), op)
        guard let id = created.value("subnet", "subnetId") else { throw ProviderError(provider: name, operation: op, message: "CreateSubnet answered no subnetId") }
        if spec.isPublic, let routes {
            _ = try await call("ModifySubnetAttribute", [("SubnetId", id), ("MapPublicIpOnLaunch.Value", "true")], op)
            _ = try await call("AssociateRouteTable", [("RouteTableId", routes), ("SubnetId", id)], op)
        }
        return id
    }

    /// cleanupNetwork's work (key pair, gateway, route tables, security groups, subnets, VPC),
    /// going on past failures and reporting them together; or some subnets. What is already
    /// gone is success. It starts once no instance of the sandbox (in those subnets) is left
    /// but terminated ones, since a delete does not wait for its instance to end; then the five
    /// lookups run at once, and so do the deletes that do not depend on each other, the VPC's
    /// last.
    public func cleanSandboxInfra(_ request: InfraCleanup) async throws {
        let op = "cleanSandboxInfra"
        defer { connection.forgetNetwork() }
        try await waitForInstancesToEnd(in: request.all ? nil : Set(request.subnetIds), op)
        let failures = Locked<[ProviderError]>([])
        let name = self.name
        @Sendable func attempt(_ action: String, _ parameters: [(String, String)]) async {
            do {
                _ = try await call(action, parameters, op)
            } catch let error as ProviderError {
                if !EC2Errors.isNotFound(error) { failures.withLock { $0.append(error) } }
            } catch {
                failures.withLock { $0.append(ProviderError(provider: name, operation: op, message: "\(action): \(error)")) }
            }
        }
        if !request.all {
            await withTaskGroup(of: Void.self) { group in
                for id in request.subnetIds { group.addTask { await attempt("DeleteSubnet", [("SubnetId", id)]) } }
            }
        } else {
            // What is deleted is what EC2's tag filter found and whose own tag names the sandbox:
            // an endpoint that ignores filters must not make firm delete the account's network.
            let mine = EC2Tags.filters([("tag:\(EC2Tags.sandbox)", sandbox)])
            let sandbox = self.sandbox
            @Sendable func owned(_ action: String, _ set: String) async throws -> [XMLTree] {
                try await call(action, mine, op).items(set).filter { EC2Tags.belongs($0, to: sandbox) }
            }
            async let vpcList = owned("DescribeVpcs", "vpcSet")
            async let gatewayList = owned("DescribeInternetGateways", "internetGatewaySet")
            async let tableList = owned("DescribeRouteTables", "routeTableSet")
            async let groupList = owned("DescribeSecurityGroups", "securityGroupInfo")
            async let subnetList = owned("DescribeSubnets", "subnetSet")
            let (vpcs, gateways, tables, groups, subnets) = try await (vpcList.compactMap { $0.value("vpcId") }, gatewayList, tableList, groupList, subnetList)
            let keyName = self.keyName
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await attempt("DeleteKeyPair", [("KeyName", keyName)]) }
                for gateway in gateways {
                    guard let id = gateway.value("internetGatewayId") else { continue }
                    group.addTask {
                        for attachment in gateway.items("attachmentSet") {
                            if let vpc = attachment.value("vpcId") { await attempt("DetachInternetGateway", [("InternetGatewayId", id), ("VpcId", vpc)]) }
                        }
                        await attempt("DeleteInternetGateway", [("InternetGatewayId", id)])
                    }
                }
                for table in tables {
                    guard let id = table.value("routeTableId") else { continue }
                    group.addTask {
                        for association in table.items("associationSet") where association.value("main") != "true" {
                            if let a = association.value("routeTableAssociationId") { await attempt("DisassociateRouteTable", [("AssociationId", a)]) }
                        }
                        await attempt("DeleteRouteTable", [("RouteTableId", id)])
                    }
                }
                for securityGroup in groups {
                    if let id = securityGroup.value("groupId") { group.addTask { await attempt("DeleteSecurityGroup", [("GroupId", id)]) } }
                }
                for subnet in subnets {
                    if let id = subnet.value("subnetId") { group.addTask { await attempt("DeleteSubnet", [("SubnetId", id)]) } }
                }
            }
            for vpc in vpcs { await attempt("DeleteVpc", [("VpcId", vpc)]) }
        }
        let failed = failures.value
        guard !failed.isEmpty else { return }
        // A dependency still being released (an interface of a terminating instance) clears
        // up: trying again can help.
        let retryable = failed.allSatisfy { $0.kind == .retryable || $0.code == "DependencyViolation" }
        throw ProviderError(provider: name, operation: op, message: "CleanupSandboxInfra ended with \(failed.count) error\(failed.count == 1 ? "" : "s"): "
            + failed.map(\.message).joined(separator: "; "), kind: retryable ? .retryable : .terminal, code: failed.first?.code)
    }

    /// Waits until no instance of the sandbox (on one of `subnets`, when given) is still
    /// shutting down: their interfaces hold the subnets, the security group and so the VPC. One
    /// that is not being terminated is not waited for: the deletes then fail on it, and say so.
    func waitForInstancesToEnd(in subnets: Set<String>?, _ op: String) async throws {
        let poller = try connection.client().poller
        let deadline = ContinuousClock.now.advanced(by: Self.stateTimeout)
        while true {
            let left = try await poller.describe(filteredBy: [("instance-state-name", "shutting-down")], operation: op).values.filter { instance in
                instance.state == "shutting-down" && (subnets.map { !$0.isDisjoint(with: instance.interfaces.map(\.subnet)) } ?? true)
            }
            guard let first = left.min(by: { $0.id < $1.id }) else { return }
            guard ContinuousClock.now < deadline else {
                throw ProviderError(provider: name, operation: op, message: "\(left.count) instance\(left.count == 1 ? "" : "s") of the sandbox still shutting down after \(DurationText.format(Self.stateTimeout)), such as \(first.id) (\(first.state))",
                                    kind: .retryable, code: "Timeout")
            }
            try await Task.sleep(for: settings.pollInterval)
        }
    }
}
