import { describe, expect, it } from 'vitest';
import { composeWithMembership, printedSubgraphOf, subgraphOf, typeBlock } from '../testing/composition.js';
import { sparkwash } from './index.js';

const compose = (sparkwashSubgraph = subgraphOf(sparkwash)) => composeWithMembership([sparkwashSubgraph]);

describe('sparkwash subgraph composition', () => {
  it('composes with the membership entities without errors or hints', () => {
    const result = compose();
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
  });

  it('adds Entitlement.carWash requiring the benefit partner id from membership', () => {
    const result = compose();
    if (result.errors) throw result.errors[0];
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain('@join__type(graph: SPARKWASH, key: "id")');
    expect(entitlement).toMatch(/carWash: CarWashPass @join__field\(graph: SPARKWASH, requires: "benefit \{ partner \{ id \} \}"\)/);
    expect(entitlement).toContain('benefit: Benefit! @join__field(graph: MEMBERSHIP) @join__field(graph: SPARKWASH, external: true)');
  });

  it('leaves Benefit and Partner to membership: sparkwash resolves none of their fields', () => {
    const result = compose();
    if (result.errors) throw result.errors[0];
    expect(typeBlock(result.supergraphSdl, 'Benefit')).toContain('@join__type(graph: SPARKWASH, key: "code", resolvable: false)');
    expect(typeBlock(result.supergraphSdl, 'Partner')).toContain('id: ID! @join__field(graph: MEMBERSHIP) @join__field(graph: SPARKWASH, external: true)');
  });

  it('composes from the SDL the running subgraph prints, as the build does', () => {
    const result = compose(printedSubgraphOf(sparkwash));
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toContain('scalar DateTimeISO');
  });
});
