import ipaddr from "ipaddr.js";

/**
 * The key per-address limits count under: an IPv4 address as it is, an IPv6
 * address by its /64 (one home or phone gets a whole /64 and may rotate
 * within it at will), an IPv4-mapped IPv6 address as the IPv4 it maps.
 */
export function clientNetwork(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address.kind() === "ipv4") return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(":")}::/64`;
}
