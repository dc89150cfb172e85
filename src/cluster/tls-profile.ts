import { inputError } from '../base/errors.js';
import type { Engine } from '../engine/engine.js';
import { planCommunityFiles } from './community-files.js';
import { planDerivedFiles, type DerivedInputs, type DerivedPlan } from './derived-files.js';

/**
 * Which TLS files and properties a service image reads, declared by the image itself through a
 * label, so `start` needs no flag for it. `enterprise` (also when the label is absent): PKCS#12
 * keystore and truststores with passphrase files, tls.* properties. `community` (Deephaven
 * Community): PEM chain, PKCS#8 key and PEM trust bundle, ssl.identity.* and ssl.trust.*.
 */
export const LABEL_TLS_PROFILE = 'io.dh-podman.tls-profile';
export const TLS_PROFILES = ['enterprise', 'community'] as const;
export type TlsProfile = (typeof TLS_PROFILES)[number];

/** `subject` names the image's place (a pod's image); the image itself when not given. */
export function tlsProfileOf(imageLabels: Record<string, string>, image: string, subject = image): TlsProfile {
  const value = imageLabels[LABEL_TLS_PROFILE];
  if (value === undefined || value === '') return 'enterprise';
  if ((TLS_PROFILES as readonly string[]).includes(value)) return value as TlsProfile;
  throw inputError('TLS_PROFILE_UNKNOWN', `the image ${image} has ${LABEL_TLS_PROFILE}=${value}, which dh-podman does not know (known: ${TLS_PROFILES.join(', ')})`, {
    subject,
    fix: 'fix the label in the image\'s Containerfile, or use a newer dh-podman',
  });
}

/**
 * Whether the service asks clients for a certificate (mutual TLS): `wanted` verifies one when
 * offered, `needed` refuses clients without one. The community profile sets
 * ssl.clientAuthentication, the enterprise profile tls.clientAuthentication.
 */
export const CLIENT_AUTH_MODES = ['wanted', 'needed'] as const;
export type ClientAuth = (typeof CLIENT_AUTH_MODES)[number];

/** The words the cluster file and `start --mtls` use, as the services' settings name them. */
export const CLIENT_AUTH_OF: Record<'want' | 'need', ClientAuth> = { want: 'wanted', need: 'needed' };

export function planProfileFiles(profile: TlsProfile, inputs: DerivedInputs): Promise<DerivedPlan> {
  return profile === 'community' ? planCommunityFiles(inputs) : planDerivedFiles(inputs);
}

/**
 * What a machine answers once it serves, by profile: the enterprise services' GET /health, and
 * for Deephaven Community (which has no /health) its web IDE, served by the same Jetty as its
 * gRPC API once every part of the server has started. Rotation waits for it; Kubernetes probes it.
 */
export const HEALTH_PATHS: Record<TlsProfile, string> = { enterprise: '/health', community: '/ide/' };

/**
 * The profile of an image, for commands that derive files without starting it (kube generate).
 * An image Podman does not have (built later, or pulled from a registry by Kubernetes) is taken
 * as enterprise, the profile of an image without the label, and `onAssumed` says so.
 */
export async function profileOfImage(engine: Engine, image: string, onAssumed: (line: string) => void): Promise<TlsProfile> {
  const found = await engine.images.inspect(image);
  if (found) return tlsProfileOf(found.labels, image);
  onAssumed(`the image ${image} is not in Podman, so its ${LABEL_TLS_PROFILE} label is unknown: its files are derived for the enterprise profile; build it first (dh-podman build) when it is a Deephaven Community image`);
  return 'enterprise';
}
