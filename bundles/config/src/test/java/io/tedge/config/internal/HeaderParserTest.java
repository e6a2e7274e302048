package io.tedge.config.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.tedge.config.internal.HeaderParser.Clause;

class HeaderParserTest {

    @Test
    void clausesWithAttributesDirectivesAndTypedAttributes() {
        List<Clause> cs = HeaderParser.parse(
                "osgi.service;objectClass:List<String>=\"a.B,c.D\";uses:=\"x.y,z\", "
                        + "tedge.config.key;tedge.config.key=acme.url;type=url;doc=\"Host, of; the \\\"ACME\\\" cloud\"");
        assertThat(cs).hasSize(2);
        assertThat(cs.get(0).name()).isEqualTo("osgi.service");
        assertThat(cs.get(0).attributes()).isEqualTo(Map.of("objectClass", "a.B,c.D"));
        assertThat(cs.get(0).directives()).isEqualTo(Map.of("uses", "x.y,z"));
        assertThat(cs.get(1).name()).isEqualTo("tedge.config.key");
        assertThat(cs.get(1).attributes()).containsExactly(
                Map.entry("tedge.config.key", "acme.url"),
                Map.entry("type", "url"),
                Map.entry("doc", "Host, of; the \"ACME\" cloud"));
        assertThat(cs.get(1).directives()).isEmpty();
    }

    @Test
    void whitespaceAroundValuesIsTrimmedAndEmptyClausesSkipped() {
        List<Clause> cs = HeaderParser.parse(" a ; k =  v1 ; q = \"  kept  \" ,, b");
        assertThat(cs).extracting(Clause::name).containsExactly("a", "b");
        assertThat(cs.get(0).attributes()).containsExactly(Map.entry("k", "v1"), Map.entry("q", "  kept  "));
    }

    @Test
    void emptyHeader() {
        assertThat(HeaderParser.parse("")).isEmpty();
    }
}
