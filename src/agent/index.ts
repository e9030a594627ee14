/**
 * Container networks (issue 8), first layer: pure network rules and their state in the store.
 *
 *   parseNetworkRequest(body)            validated create request (FieldError naming the key)
 *   checkClashes(spec, networks)         ConflictError 'name' | 'vni' | 'subnet'
 *   pickDefaultSubnet(routes, taken?)    Socketplane's rule: 10.1.0.0/16, then others, avoiding host routes
 */
export {
  DEFAULT_MTU,
  DEFAULT_SUBNET_CANDIDATES,
  VNI_MAX,
  checkClashes,
  nextFreeVni,
  parseNetworkRequest,
  pickDefaultSubnet,
  type Network,
  type NetworkSpec,
} from './network.js';
