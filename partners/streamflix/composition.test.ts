import { describe, expect, it } from 'vitest';
import { sparkwash } from '../sparkwash/index.js';
import { composeWithMembership as compose, printedSubgraphOf, subgraphOf, typeBlock } from '../testing/composition.js';
import { streamflix } from './index.js';

const streamflixSubgraph = subgraphOf(streamflix);
const sparkwashSubgraph = subgraphOf(sparkwash);

describe('streamflix subgraph composition', () => {
  it('composes with the membership entities without errors or hints', () => {
    const result = compose([streamflixSubgraph]);
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
  });

  it('adds Entitlement.streamingAccount requiring the benefit partner id from membership', () => {
    const result = compose([streamflixSubgraph]);
    if (result.errors) throw result.errors[0];
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain('@join__type(graph: STREAMFLIX, key: "id")');
    expect(entitlement).toMatch(/streamingAccount: StreamingAccount @join__field\(graph: STREAMFLIX, requires: "benefit \{ partner \{ id \} \}"\)/);
    expect(entitlement).toContain('benefit: Benefit! @join__field(graph: MEMBERSHIP) @join__field(graph: STREAMFLIX, external: true)');
  });

  it('composes together with sparkwash, both declaring the Benefit and Partner stubs, without errors or hints', () => {
    const result = compose([sparkwashSubgraph, streamflixSubgraph]);
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
    if (result.errors) return;
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain(
      'benefit: Benefit! @join__field(graph: MEMBERSHIP) @join__field(graph: SPARKWASH, external: true) @join__field(graph: STREAMFLIX, external: true)',
    );
    expect(entitlement).toMatch(/carWash: CarWashPass @join__field\(graph: SPARKWASH, requires:/);
    expect(entitlement).toMatch(/streamingAccount: StreamingAccount @join__field\(graph: STREAMFLIX, requires:/);
    const benefit = typeBlock(result.supergraphSdl, 'Benefit');
    expect(benefit).toContain('@join__type(graph: SPARKWASH, key: "code", resolvable: false)');
    expect(benefit).toContain('@join__type(graph: STREAMFLIX, key: "code", resolvable: false)');
    expect(typeBlock(result.supergraphSdl, 'Partner')).toContain(
      'id: ID! @join__field(graph: MEMBERSHIP) @join__field(graph: SPARKWASH, external: true) @join__field(graph: STREAMFLIX, external: true)',
    );
  });

  it('composes from the SDL the running subgraphs print, as the build does', () => {
    const result = compose([printedSubgraphOf(sparkwash), printedSubgraphOf(streamflix)]);
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toContain('enum StreamingAccountStatus');
  });
});
