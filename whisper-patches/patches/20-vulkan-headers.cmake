# vulkan-headers: ggml-vulkan builds with Vulkan headers older than VK_EXT_layer_settings
# (1.3.261), such as Debian 12's 1.3.239. The extension only passes the validation layer's
# "best practices" setting, used when GGML_VULKAN_VALIDATE debugging is on; without it the
# instance is created as before that code existed. Applied only to Vulkan builds (the file is
# not compiled otherwise). README.md: why.
if(GGML_VULKAN)
vsl_patch(vulkan-headers ggml/src/ggml-vulkan/ggml-vulkan.cpp
[==[    VkBool32 enable_best_practice = layer_settings;
    std::vector<vk::LayerSettingEXT> settings = {
        {
            "VK_LAYER_KHRONOS_validation",
            "validate_best_practices",
            vk::LayerSettingTypeEXT::eBool32,
            1,
            &enable_best_practice
        },
    };
    vk::LayerSettingsCreateInfoEXT layer_setting_info(settings);
    vk::InstanceCreateInfo instance_create_info(vk::InstanceCreateFlags{}, &app_info, layers, extensions, &layer_setting_info);
]==]
[==[#ifdef VK_EXT_layer_settings
    VkBool32 enable_best_practice = layer_settings;
    std::vector<vk::LayerSettingEXT> settings = {
        {
            "VK_LAYER_KHRONOS_validation",
            "validate_best_practices",
            vk::LayerSettingTypeEXT::eBool32,
            1,
            &enable_best_practice
        },
    };
    vk::LayerSettingsCreateInfoEXT layer_setting_info(settings);
    vk::InstanceCreateInfo instance_create_info(vk::InstanceCreateFlags{}, &app_info, layers, extensions, &layer_setting_info);
#else
    // VSL vulkan-headers: headers without VK_EXT_layer_settings; no validation settings.
    vk::InstanceCreateInfo instance_create_info(vk::InstanceCreateFlags{}, &app_info, layers, extensions);
#endif
]==])
endif()
