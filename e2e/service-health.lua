-- Argo CD health check for Services (argocd-cm: resource.customizations.health.Service),
-- for clusters with no LoadBalancer controller, such as the end-to-end test cluster.
-- Built in, a LoadBalancer Service without status.loadBalancer.ingress is Progressing
-- forever there, and so is its Application. This check keeps Argo CD's rule when an
-- address exists, and otherwise reports Healthy with a message saying none was assigned:
-- the Service still works as a NodePort/ClusterIP Service, and the UI says what is missing.
hs = {}
hs.status = "Healthy"
if obj.spec ~= nil and obj.spec.type == "LoadBalancer" then
  local lb = obj.status ~= nil and obj.status.loadBalancer or nil
  if lb ~= nil and lb.ingress ~= nil and #lb.ingress > 0 then
    hs.message = "load balancer address assigned"
  else
    hs.message = "no load balancer address: this cluster has no LoadBalancer controller"
  end
end
return hs
