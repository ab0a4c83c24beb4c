/**
 * The address rules are pure and also apply at intake, so they live in the domain; this
 * module stays for the adapters (the webhook sender checks resolved addresses with it).
 */
export { isForbiddenAddress } from '../../domain/isForbiddenAddress.js';
