//! V8 introspection for `util.inspect`, `util.types` and assertions: promise state,
//! proxy internals, iterator previews, and the value-kind predicates only the engine
//! can answer.

use super::{arg_f64, v8_str};

pub fn op_util_promise_details<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Ok(p) = v8::Local::<v8::Promise>::try_from(args.get(0)) else {
        return;
    };
    let state = match p.state() {
        v8::PromiseState::Pending => 0,
        v8::PromiseState::Fulfilled => 1,
        v8::PromiseState::Rejected => 2,
    };
    let s = v8::Integer::new(scope, state).into();
    let out = if state == 0 {
        v8::Array::new_with_elements(scope, &[s])
    } else {
        let result = p.result(scope);
        v8::Array::new_with_elements(scope, &[s, result])
    };
    rv.set(out.into());
}

pub fn op_util_proxy_details<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Ok(p) = v8::Local::<v8::Proxy>::try_from(args.get(0)) else {
        return;
    };
    let target = p.get_target(scope);
    if args.get(1).is_false() {
        rv.set(target);
    } else {
        let handler = p.get_handler(scope);
        rv.set(v8::Array::new_with_elements(scope, &[target, handler]).into());
    }
}

pub fn op_util_preview_entries<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Ok(obj) = v8::Local::<v8::Object>::try_from(args.get(0)) else {
        return;
    };
    let (entries, is_key_value) = obj.preview_entries(scope);
    let Some(entries) = entries else { return };
    if !args.get(1).is_true() {
        rv.set(entries.into());
        return;
    }
    let kv = v8::Boolean::new(scope, is_key_value).into();
    rv.set(v8::Array::new_with_elements(scope, &[entries.into(), kv]).into());
}

pub fn op_util_own_non_index_properties<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Ok(obj) = v8::Local::<v8::Object>::try_from(args.get(0)) else {
        return;
    };
    let bits = arg_f64(scope, &args, 1, 0.0) as u32;
    let mut filter = v8::PropertyFilter::ALL_PROPERTIES;
    for (bit, f) in [
        (1, v8::PropertyFilter::ONLY_WRITABLE),
        (2, v8::PropertyFilter::ONLY_ENUMERABLE),
        (4, v8::PropertyFilter::ONLY_CONFIGURABLE),
        (8, v8::PropertyFilter::SKIP_STRINGS),
        (16, v8::PropertyFilter::SKIP_SYMBOLS),
    ] {
        if bits & bit != 0 {
            filter = filter | f;
        }
    }
    let names_args = v8::GetPropertyNamesArgsBuilder::new()
        .mode(v8::KeyCollectionMode::OwnOnly)
        .property_filter(filter)
        .index_filter(v8::IndexFilter::SkipIndices)
        .key_conversion(v8::KeyConversionMode::KeepNumbers)
        .build();
    if let Some(names) = obj.get_property_names(scope, names_args) {
        rv.set(names.into());
    }
}

pub fn op_util_constructor_name<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Ok(obj) = v8::Local::<v8::Object>::try_from(args.get(0)) else {
        return;
    };
    let name = obj.get_constructor_name().to_rust_string_lossy(scope);
    rv.set(v8_str(scope, &name).into());
}

macro_rules! type_predicates {
    ($($op:ident => $check:ident),* $(,)?) => {
        $(
            pub fn $op<'s>(_scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s, v8::Value>) {
                rv.set_bool(args.get(0).$check());
            }
        )*
    };
}

type_predicates!(
    op_types_is_external => is_external,
    op_types_is_date => is_date,
    op_types_is_arguments_object => is_arguments_object,
    op_types_is_big_int_object => is_big_int_object,
    op_types_is_boolean_object => is_boolean_object,
    op_types_is_number_object => is_number_object,
    op_types_is_string_object => is_string_object,
    op_types_is_symbol_object => is_symbol_object,
    op_types_is_native_error => is_native_error,
    op_types_is_reg_exp => is_reg_exp,
    op_types_is_async_function => is_async_function,
    op_types_is_generator_function => is_generator_function,
    op_types_is_generator_object => is_generator_object,
    op_types_is_promise => is_promise,
    op_types_is_map => is_map,
    op_types_is_set => is_set,
    op_types_is_map_iterator => is_map_iterator,
    op_types_is_set_iterator => is_set_iterator,
    op_types_is_weak_map => is_weak_map,
    op_types_is_weak_set => is_weak_set,
    op_types_is_array_buffer => is_array_buffer,
    op_types_is_data_view => is_data_view,
    op_types_is_shared_array_buffer => is_shared_array_buffer,
    op_types_is_proxy => is_proxy,
    op_types_is_module_namespace_object => is_module_namespace_object,
);

pub fn op_types_is_boxed_primitive<'s>(
    _scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let v = args.get(0);
    rv.set_bool(
        v.is_number_object()
            || v.is_string_object()
            || v.is_boolean_object()
            || v.is_big_int_object()
            || v.is_symbol_object(),
    );
}

pub fn op_types_is_any_array_buffer<'s>(
    _scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let v = args.get(0);
    rv.set_bool(v.is_array_buffer() || v.is_shared_array_buffer());
}
