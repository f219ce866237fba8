// Command guestbook-cel evaluates the CEL validation rules of CustomResourceDefinitions
// (x-kubernetes-validations) for `guestbook validate --crd`, with the API server's own code:
// k8s.io/apiextensions-apiserver's CRD validation and its CEL validator, so the Kubernetes
// CEL libraries (quantity, isURL, lists, strings, ...) and the cost limits are the real ones.
//
// It reads one JSON request on stdin:
//
//	{"crds": [{"source": "file", "crd": {...}}], "objects": [{"id": 1, "object": {...}}]}
//
// and writes one JSON answer to stdout:
//
//	{"crds":    [{"source": "file", "errors": ["..."], "skipped": [{"kind":..,"field":..,"rule":..}]}],
//	 "objects": [{"id": 1, "errors": [{"field": "spec.x", "message": "..."}]}]}
//
// A CRD the API server would refuse gets errors and validates nothing. Transition rules
// (those reading oldSelf) need the previous object and are skipped; "skipped" lists them.
// Exit status 0 means the JSON is complete; anything else is a bug, reported on stderr.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	schemavalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

type request struct {
	CRDs    []crdInput    `json:"crds"`
	Objects []objectInput `json:"objects"`
}

type crdInput struct {
	Source string          `json:"source"`
	CRD    json.RawMessage `json:"crd"`
}

type objectInput struct {
	ID     int                    `json:"id"`
	Object map[string]interface{} `json:"object"`
}

type skippedRule struct {
	Kind  string `json:"kind"`
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

type crdAnswer struct {
	Source  string        `json:"source"`
	Errors  []string      `json:"errors"`
	Skipped []skippedRule `json:"skipped"`
}

type violation struct {
	// "cel" (an x-kubernetes-validations rule) or "list-type" (x-kubernetes-list-type map or set).
	Check   string `json:"check"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

type objectAnswer struct {
	ID     int         `json:"id"`
	Errors []violation `json:"errors"`
}

type answer struct {
	CRDs    []crdAnswer    `json:"crds"`
	Objects []objectAnswer `json:"objects"`
}

// One served version of a valid CRD: what its objects are checked with.
type served struct {
	schema    *structuralschema.Structural
	openAPI   schemavalidation.SchemaValidator
	validator *cel.Validator
}

func main() {
	var req request
	decoder := json.NewDecoder(os.Stdin)
	decoder.UseNumber()
	if err := decoder.Decode(&req); err != nil {
		fail("reading the request: %v", err)
	}
	kinds := map[string]served{} // "group/version/Kind"
	out := answer{CRDs: []crdAnswer{}, Objects: []objectAnswer{}}
	for _, input := range req.CRDs {
		result := crdAnswer{Source: input.Source, Errors: []string{}, Skipped: []skippedRule{}}
		versions, errs := load(input.CRD, &result)
		result.Errors = append(result.Errors, errs...)
		if len(result.Errors) == 0 {
			for key, version := range versions {
				kinds[key] = version
			}
		}
		out.CRDs = append(out.CRDs, result)
	}
	for _, input := range req.Objects {
		result := objectAnswer{ID: input.ID, Errors: []violation{}}
		version, found := kinds[objectKey(input.Object)]
		if found {
			result.Errors = validate(version, input.Object)
		}
		out.Objects = append(out.Objects, result)
	}
	encoder := json.NewEncoder(os.Stdout)
	if err := encoder.Encode(out); err != nil {
		fail("writing the answer: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "guestbook-cel: "+format+"\n", args...)
	os.Exit(1)
}

// load checks a CRD as the API server does on create and prepares each served version.
func load(raw json.RawMessage, result *crdAnswer) (map[string]served, []string) {
	var external apiextensionsv1.CustomResourceDefinition
	if err := json.Unmarshal(raw, &external); err != nil {
		return nil, []string{fmt.Sprintf("not a CustomResourceDefinition: %v", err)}
	}
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(&external)
	var crd apiextensions.CustomResourceDefinition
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&external, &crd, nil); err != nil {
		return nil, []string{fmt.Sprintf("cannot convert: %v", err)}
	}
	if errs := validation.ValidateCustomResourceDefinition(context.Background(), &crd); len(errs) > 0 {
		messages := make([]string, 0, len(errs))
		for _, err := range errs {
			messages = append(messages, err.Error())
		}
		return nil, messages
	}
	versions := map[string]served{}
	for _, version := range crd.Spec.Versions {
		if !version.Served {
			continue
		}
		props := crd.Spec.Validation
		if version.Schema != nil {
			props = version.Schema
		}
		if props == nil || props.OpenAPIV3Schema == nil {
			continue
		}
		schema, err := structuralschema.NewStructural(props.OpenAPIV3Schema)
		if err != nil {
			return nil, []string{fmt.Sprintf("version %s: %v", version.Name, err)}
		}
		openAPI, _, err := schemavalidation.NewSchemaValidator(props.OpenAPIV3Schema)
		if err != nil {
			return nil, []string{fmt.Sprintf("version %s: %v", version.Name, err)}
		}
		kind := crd.Spec.Names.Kind
		skipTransitionRules(schema, "", kind+" "+version.Name, result)
		key := crd.Spec.Group + "/" + version.Name + "/" + kind
		versions[key] = served{
			schema:    schema,
			openAPI:   openAPI,
			validator: cel.NewValidator(schema, true, celconfig.PerCallLimit),
		}
	}
	return versions, nil
}

var oldSelf = regexp.MustCompile(`\boldSelf\b`)

// skipTransitionRules lists the rules that read oldSelf: without a previous object the
// validator does not evaluate them (as the API server does on create).
func skipTransitionRules(s *structuralschema.Structural, path string, kind string, result *crdAnswer) {
	if s == nil {
		return
	}
	for _, rule := range s.XValidations {
		if oldSelf.MatchString(rule.Rule) {
			result.Skipped = append(result.Skipped, skippedRule{Kind: kind, Field: path, Rule: rule.Rule})
		}
	}
	child := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		property := s.Properties[name]
		skipTransitionRules(&property, child(name), kind, result)
	}
	skipTransitionRules(s.Items, path+"[*]", kind, result)
	if s.AdditionalProperties != nil {
		skipTransitionRules(s.AdditionalProperties.Structural, path+"[*]", kind, result)
	}
}

func objectKey(obj map[string]interface{}) string {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if !strings.Contains(apiVersion, "/") {
		return ""
	}
	return apiVersion + "/" + kind
}

// validate does what the API server does to a new custom resource after its OpenAPI schema
// check (which kubeconform does): drop unknown fields and nulls, apply defaults, then check
// list-type invariants and, unless the schema check found a blocking error, the CEL rules.
func validate(version served, obj map[string]interface{}) []violation {
	value := runtime.DeepCopyJSONValue(numbers(obj)).(map[string]interface{})
	pruning.Prune(value, version.schema, true)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(value, version.schema)
	structuraldefaulting.Default(value, version.schema)
	found := []violation{}
	for _, err := range listtype.ValidateListSetsAndMaps(nil, version.schema, value) {
		found = append(found, violation{Check: "list-type", Field: err.Field, Message: err.ErrorBody()})
	}
	if version.validator == nil || blocked(version.openAPI, value) {
		// As the API server: CEL rules are not evaluated over an object that breaks its
		// schema in certain ways (the schema layer reports those).
		return found
	}
	errs, _ := version.validator.Validate(context.Background(), nil, version.schema, value, nil, celconfig.RuntimeCELCostBudget)
	for _, err := range errs {
		found = append(found, violation{Check: "cel", Field: err.Field, Message: describe(err)})
	}
	return found
}

// blocked reports whether the API server's OpenAPI check of the object finds an error that
// keeps it from evaluating CEL rules: a wrong type or format, a missing required field, a value
// outside an enum, a string too long, a list or map too large (its strategy's hasBlockingErr).
func blocked(openAPI schemavalidation.SchemaValidator, value map[string]interface{}) bool {
	for _, err := range schemavalidation.ValidateCustomResource(nil, value, openAPI) {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong,
			field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

// numbers turns json.Number into int64 or float64, as the API server's decoder does.
func numbers(value interface{}) interface{} {
	switch v := value.(type) {
	case map[string]interface{}:
		for key, item := range v {
			v[key] = numbers(item)
		}
		return v
	case []interface{}:
		for i, item := range v {
			v[i] = numbers(item)
		}
		return v
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	}
	return value
}

func describe(err *field.Error) string {
	if err.Type == field.ErrorTypeInvalid || err.Type == field.ErrorTypeForbidden || err.Type == field.ErrorTypeRequired {
		return err.Detail
	}
	return err.ErrorBody()
}
