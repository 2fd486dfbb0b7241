import { describe, expect, it } from 'vitest';
import { sparkwash } from '../sparkwash/index.js';
import { composeWithMembership, printedSubgraphOf, subgraphOf, typeBlock } from '../testing/composition.js';
import { skymiles } from './index.js';

const compose = (skymilesSubgraph = subgraphOf(skymiles)) => composeWithMembership([subgraphOf(sparkwash), skymilesSubgraph]);

describe('skymiles subgraph composition', () => {
  it('composes with the membership entities and sparkwash without errors or hints', () => {
    const result = compose();
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
  });

  it('adds Entitlement.milesConversion requiring the benefit partner id from membership', () => {
    const result = compose();
    if (result.errors) throw result.errors[0];
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain('@join__type(graph: SKYMILES, key: "id")');
    expect(entitlement).toMatch(/milesConversion: MilesConversion @join__field\(graph: SKYMILES, requires: "benefit \{ partner \{ id \} \}"\)/);
    expect(entitlement).toMatch(/carWash: CarWashPass @join__field\(graph: SPARKWASH, requires: "benefit \{ partner \{ id \} \}"\)/);
    expect(entitlement).toContain(
      'benefit: Benefit! @join__field(graph: MEMBERSHIP) @join__field(graph: SKYMILES, external: true) @join__field(graph: SPARKWASH, external: true)',
    );
  });

  it('leaves Benefit and Partner to membership: skymiles resolves none of their fields', () => {
    const result = compose();
    if (result.errors) throw result.errors[0];
    expect(typeBlock(result.supergraphSdl, 'Benefit')).toContain('@join__type(graph: SKYMILES, key: "code", resolvable: false)');
    expect(typeBlock(result.supergraphSdl, 'Partner')).toContain('@join__type(graph: SKYMILES, key: "id", resolvable: false)');
  });

  it('exposes the conversion statuses members see', () => {
    const result = compose();
    if (result.errors) throw result.errors[0];
    const statuses = result.supergraphSdl.slice(result.supergraphSdl.indexOf('enum MilesConversionStatus'));
    for (const status of ['NOT_REQUESTED', 'PENDING', 'CREDITED', 'REVERSED', 'REJECTED']) {
      expect(statuses.slice(0, statuses.indexOf('\n}'))).toContain(`${status} @join__enumValue(graph: SKYMILES)`);
    }
  });

  it('composes from the SDL the running subgraph prints, as the build does', () => {
    const result = compose(printedSubgraphOf(skymiles));
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toContain('scalar DateTimeISO');
  });
});
