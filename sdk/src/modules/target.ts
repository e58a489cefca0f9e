// The targeting module on its own: what element triggers and waypost.debug load.
import { fingerprint } from "../shared/fingerprint";
import { resolve, waitFor } from "../shared/target";

export default { fingerprint, resolve, waitFor };
