import { readFile } from "node:fs/promises";
import { type FleetControlClient, connectFleetControl } from "@binfleet/api";

/** The ops API as the admin, with the token the coordinator wrote to `tokenFile` (adminTokenFile of its state directory). */
export async function adminApi(address: string, tokenFile: string): Promise<FleetControlClient> {
  return connectFleetControl(address, { token: (await readFile(tokenFile, "utf8")).trim() });
}
