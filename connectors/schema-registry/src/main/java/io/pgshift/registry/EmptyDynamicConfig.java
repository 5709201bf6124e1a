package io.pgshift.registry;

import java.util.List;

import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

import io.apicurio.common.apps.config.DynamicConfigPropertyDef;
import io.apicurio.common.apps.config.DynamicConfigPropertyList;

/** The registry's dynamic configuration index, empty: its generated form comes from a module whose build part is not served. */
public class EmptyDynamicConfig {

    @Produces
    @Singleton
    DynamicConfigPropertyList dynamicConfigProperties() {
        return new DynamicConfigPropertyList(List.<DynamicConfigPropertyDef>of());
    }
}
