package io.kubeoidc.service.cli;

/**
 * A command that commits to the key store (or writes files, like migrate pod-identity). Its failures say "nothing
 * was changed", which is true because the commit is the last, atomic step; read-only commands do not say it, since
 * they never change anything.
 */
interface StoreWriter {
}
