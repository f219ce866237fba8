package settings

// Added by guestbook-gitops' e2e/tools/argocd/prepare-src.sh, not part of Argo CD.
// v3.2.12's controller/cache/info.go calls settings.ValidateExternalURL, but on the
// release-3.2 branch util/settings only has the unexported validateExternalURL, so the
// module as published does not compile. v3.3 exports it under this name.

// ValidateExternalURL ensures the external URL is a valid http(s) URL.
func ValidateExternalURL(u string) error { return validateExternalURL(u) }
