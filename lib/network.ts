import { Fn, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageLogGroups } from './log-groups';
import type { FunctionNetwork } from './txconfirm-function';
import { Problems } from './validation';

export interface NetworkProps {
  readonly stage: string;
  /** NAT gateways, each with its Elastic IP, one per availability zone, 1..3. */
  readonly natGateways: number;
  /** Availability zones of the VPC: at least 2, and one per NAT gateway. */
  readonly availabilityZones: number;
  /** The TCP port of the provider's API (443, or the port of providerBaseUrl). */
  readonly providerPort: number;
  /** Names and encrypts the flow log group. */
  readonly logGroups: StageLogGroups;
  readonly logRetention: logs.RetentionDays;
  /** Of the flow log group. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The optional network of a stage (`vpc: true`; docs/security.md, "VPC mode"): the functions run
 * in private subnets and reach
 *
 * - the payment provider through NAT gateways whose Elastic IPs are the stage's fixed egress
 *   addresses (stack output EgressIps), for a provider that allow-lists callers;
 * - DynamoDB through a gateway endpoint (no NAT charge; its policy admits only our tables);
 * - Secrets Manager through an interface endpoint with private DNS (its policy admits only
 *   GetSecretValue on the provider secret);
 * - X-Ray through the NAT gateways.
 *
 * Their security group allows no inbound traffic and only HTTPS (and the provider's port) out.
 * Every flow is logged to an encrypted log group (cdk-nag AwsSolutions-VPC7).
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly functionSecurityGroup: ec2.SecurityGroup;
  /** One per NAT gateway: the addresses the provider sees. */
  readonly elasticIps: readonly ec2.CfnEIP[];
  readonly dynamoDbEndpoint: ec2.GatewayVpcEndpoint;
  /** The page manifests (FetchPage's PutObject and DeleteObject) without the NAT gateways. */
  readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const p = new Problems();
    p.integerInRange('natGateways', props.natGateways, 1, 3);
    if (props.availabilityZones < Math.max(2, props.natGateways)) {
      p.add(
        `availabilityZones must be >= max(2, natGateways) (one NAT gateway per zone), got ${props.availabilityZones}`,
      );
    }
    p.integerInRange('providerPort', props.providerPort, 1, 65535);
    p.throwIfAny();

    // Our own Elastic IPs, so the egress addresses are resources of this stack (output, tagged).
    this.elasticIps = Array.from(
      { length: props.natGateways },
      (_, i) =>
        new ec2.CfnEIP(this, `NatElasticIp${i + 1}`, {
          domain: 'vpc',
          tags: [{ key: 'Name', value: `txconfirm-${props.stage}-egress-${i + 1}` }],
        }),
    );
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
      // No lookups: the stack gives its zones as Fn::GetAZs tokens (TxconfirmStack.availabilityZones),
      // so synth needs no AWS account even when the stage names its account and region.
      maxAzs: props.availabilityZones,
      natGateways: props.natGateways,
      natGatewayProvider: ec2.NatProvider.gateway({
        eipAllocationIds: this.elasticIps.map((eip) => eip.attrAllocationId),
      }),
      subnetConfiguration: [
        // Only the NAT gateways live here; nothing gets a public address by default.
        {
          name: 'Public',
          subnetType: ec2.SubnetType.PUBLIC,
          cidrMask: 24,
          mapPublicIpOnLaunch: false,
        },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      // Nothing is attached to the default security group; restricting it would take a
      // custom-resource Lambda of CDK's own in this stack.
      restrictDefaultSecurityGroup: false,
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
      ...props.logGroups.forFlowLogs(),
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: `txconfirm ${props.stage} functions: no inbound; HTTPS out (provider via NAT, DynamoDB gateway endpoint, Secrets Manager endpoint, X-Ray)`,
      allowAllOutbound: false,
    });
    // The provider's addresses are not known (and may change): its port to anywhere. DynamoDB
    // (through the gateway endpoint's prefix-list route) and X-Ray are HTTPS as well.
    this.functionSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS: the payment provider and X-Ray through NAT, DynamoDB through its gateway endpoint',
    );
    if (props.providerPort !== 443) {
      this.functionSecurityGroup.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(props.providerPort),
        'The payment provider API port (providerBaseUrl)',
      );
    }

    const privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    this.dynamoDbEndpoint = this.vpc.addGatewayEndpoint('DynamoDbEndpoint', {
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [privateSubnets],
    });
    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3Endpoint', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [privateSubnets],
    });

    const endpointSecurityGroup = new ec2.SecurityGroup(
      this,
      'SecretsManagerEndpointSecurityGroup',
      {
        vpc: this.vpc,
        description: `txconfirm ${props.stage} Secrets Manager endpoint: HTTPS from the functions only`,
        allowAllOutbound: false,
      },
    );
    this.secretsManagerEndpoint = this.vpc.addInterfaceEndpoint('SecretsManagerEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      privateDnsEnabled: true,
      subnets: privateSubnets,
      securityGroups: [endpointSecurityGroup],
      // Not open to the whole VPC CIDR: the functions' security group only (below).
      open: false,
    });
    this.secretsManagerEndpoint.connections.allowDefaultPortFrom(
      this.functionSecurityGroup,
      'HTTPS from the txconfirm functions',
    );
  }

  /** Where the functions run: every private subnet, the function security group. */
  get functionNetwork(): FunctionNetwork {
    return {
      vpc: this.vpc,
      subnets: this.vpc.privateSubnets,
      securityGroup: this.functionSecurityGroup,
    };
  }

  /** `a,b`: the Elastic IPs of the NAT gateways, resolved at deploy time. */
  get egressIps(): string {
    return Fn.join(
      ',',
      this.elasticIps.map((eip) => eip.attrPublicIp),
    );
  }

  /**
   * The DynamoDB endpoint admits exactly these actions on these tables and indexes (the union of
   * the functions' grants): a function cannot reach any other table, in this account or another,
   * even with a role that would allow it. Called once, after every bindTable.
   */
  restrictDynamoDb(actions: readonly string[], resources: readonly string[]): void {
    this.dynamoDbEndpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: [...new Set(actions)].sort(),
        resources: [...new Set(resources)],
      }),
    );
  }

  /** The S3 endpoint admits exactly these actions on these objects (fetch-page's manifest grant). */
  restrictS3(actions: readonly string[], resources: readonly string[]): void {
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: [...actions],
        resources: [...resources],
      }),
    );
  }

  /** The Secrets Manager endpoint admits GetSecretValue on this secret (the grant's ARN) only. */
  restrictSecretsManager(secretGrantArn: string): void {
    this.secretsManagerEndpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secretGrantArn],
      }),
    );
  }
}
