/**
 * The network of a stage with `vpc: true` (lib/network.ts), priced: data the NAT gateways and the
 * interface endpoints process for a backlog ({@link vpcDataUsage}), and the hourly charges that run
 * whether or not anything is confirmed ({@link vpcMonthly}). DynamoDB goes through a gateway
 * endpoint: no charge, and no NAT processing.
 */
import { API_KEY_MAX_AGE_SECONDS } from '../../lambdas/adapters/provider-api-key';
import type { Assumptions, Prices } from './prices';
import type { CostReport, Scenario, VpcShape } from './types';

const SECRETS_MANAGER = 'secretsmanager';

export interface VpcDataUsage {
  readonly natGb: number;
  readonly secretReads: number;
  readonly endpointGb: number;
  readonly natCost: number;
  readonly endpointCost: number;
}

/**
 * Data processed for a backlog (happy path): every transaction is one provider call through a NAT
 * gateway; each warm confirm-batch container reads the API key once per cache period
 * (API_KEY_MAX_AGE_SECONDS), through the Secrets Manager endpoint when there is one, else through
 * NAT. Containers = the child executions in flight, for as long as the drain lasts.
 */
export function vpcDataUsage(
  vpc: VpcShape,
  scenario: Scenario,
  drain: { readonly childrenInFlight: number; readonly drainMs: number },
  prices: Prices,
  assumptions: Assumptions,
): VpcDataUsage {
  const gb = (bytes: number) => bytes / prices.vpc.gbBytes;
  const secretReads =
    drain.childrenInFlight *
    Math.max(1, Math.ceil(drain.drainMs / (API_KEY_MAX_AGE_SECONDS * 1_000)));
  const secretBytes = secretReads * assumptions.secretReadBytes;
  const viaEndpoint = vpc.interfaceEndpoints.some((e) => e.service === SECRETS_MANAGER);
  const natGb = gb(
    scenario.transactions * assumptions.providerCallBytes + (viaEndpoint ? 0 : secretBytes),
  );
  const endpointGb = viaEndpoint ? gb(secretBytes) : 0;
  return {
    natGb,
    secretReads,
    endpointGb,
    natCost: natGb * prices.vpc.natGatewayGb,
    endpointCost: endpointGb * prices.vpc.interfaceEndpointGb,
  };
}

/** The hourly charges of a month: every NAT gateway, every interface endpoint in every zone. */
export function vpcMonthly(vpc: VpcShape, prices: Prices): NonNullable<CostReport['vpcMonthly']> {
  const { hoursPerMonth, natGatewayHour, interfaceEndpointAzHour } = prices.vpc;
  const endpointAzs = vpc.interfaceEndpoints.reduce((sum, e) => sum + e.availabilityZones, 0);
  const natGatewayHours = vpc.natGateways * hoursPerMonth * natGatewayHour;
  const endpointAzHours = endpointAzs * hoursPerMonth * interfaceEndpointAzHour;
  return {
    natGateways: vpc.natGateways,
    natGatewayHours,
    endpointAzs,
    endpointAzHours,
    total: natGatewayHours + endpointAzHours,
  };
}
