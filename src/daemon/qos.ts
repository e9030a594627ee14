/** Adapter from the qos app to the API's QosView. */
import type { QosView } from '../api/routes/qos.js';
import { policyToFloodlight, policyToJson, serviceToJson, type QosApp } from '../apps/qos/index.js';

export function qosView(app: QosApp): QosView {
  return {
    get enabled() {
      return app.enabled;
    },
    setEnabled: (on) => app.setEnabled(on),
    services: () => app.listServices().map(serviceToJson),
    addService: async (body) => serviceToJson(await app.addService(body)),
    deleteService: async (sid) => serviceToJson(await app.deleteService(sid)),
    floodlightPolicies: () => app.listPolicies().map(policyToFloodlight),
    policies: () => app.listPolicies().map((p) => app.policyView(p)),
    addPolicy: async (body) => app.policyView(await app.addPolicy(body)),
    deletePolicy: async (id) => policyToJson(await app.deletePolicy(id)),
    paths: () => app.listPaths(),
    addPath: (body) => app.addPath(body),
    deletePath: (name) => app.deletePath(name),
    listQueues: (port) => app.listQueues(port),
    setQueues: (body) => app.setQueues(body),
    clearQueues: (port) => app.clearQueues(port),
  };
}
